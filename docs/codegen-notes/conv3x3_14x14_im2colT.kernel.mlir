#mapx = affine_map<(c, kh, kw, oh, ow) -> (c, oh * 1 + kh, ow * 1 + kw)>
#mapo = affine_map<(c, kh, kw, oh, ow) -> (c, kh, kw, oh, ow)>
#mA = affine_map<(n, f, k) -> (k, n)>
#mB = affine_map<(n, f, k) -> (k, f)>
#mC = affine_map<(n, f, k) -> (n, f)>
func.func @kernel(%in: memref<1x256x14x14xf32>, %w: memref<256x3x3x256xf32>, %out: memref<1x256x14x14xf32>) {
  %in3 = memref.collapse_shape %in [[0, 1], [2], [3]] : memref<1x256x14x14xf32> into memref<256x14x14xf32>
  %w2m = memref.collapse_shape %w [[0, 1, 2], [3]] : memref<256x3x3x256xf32> into memref<2304x256xf32>
  %out2 = memref.collapse_shape %out [[0, 1], [2, 3]] : memref<1x256x14x14xf32> into memref<256x196xf32>
  %x = bufferization.to_tensor %in3 restrict : memref<256x14x14xf32>
  %w2 = bufferization.to_tensor %w2m restrict : memref<2304x256xf32>
  %z = arith.constant 0.0 : f32
  %xp = tensor.pad %x low[0, 1, 1] high[0, 1, 1] {
  ^bb0(%a: index, %b: index, %c: index):
    tensor.yield %z : f32
  } : tensor<256x14x14xf32> to tensor<256x16x16xf32>
  %ce = tensor.empty() : tensor<256x3x3x14x14xf32>
  %col = linalg.generic {indexing_maps = [#mapx, #mapo], iterator_types = ["parallel", "parallel", "parallel", "parallel", "parallel"], mlc.sched = 2}
     ins(%xp : tensor<256x16x16xf32>) outs(%ce : tensor<256x3x3x14x14xf32>) {
  ^bb0(%a: f32, %b: f32):
    linalg.yield %a : f32
  } -> tensor<256x3x3x14x14xf32>
  %col2 = tensor.collapse_shape %col [[0, 1, 2], [3, 4]] : tensor<256x3x3x14x14xf32> into tensor<2304x196xf32>
  %e = tensor.empty() : tensor<196x256xf32>
  %f = linalg.fill ins(%z : f32) outs(%e : tensor<196x256xf32>) -> tensor<196x256xf32>
  %m = linalg.generic {indexing_maps = [#mA, #mB, #mC], iterator_types = ["parallel", "parallel", "reduction"], mlc.sched = 3}
     ins(%col2, %w2 : tensor<2304x196xf32>, tensor<2304x256xf32>) outs(%f : tensor<196x256xf32>) {
  ^bb0(%a: f32, %b: f32, %c: f32):
    %p = arith.mulf %a, %b : f32
    %s = arith.addf %c, %p : f32
    linalg.yield %s : f32
  } -> tensor<196x256xf32>
  %e2 = tensor.empty() : tensor<256x196xf32>
  %t = linalg.transpose ins(%m : tensor<196x256xf32>) outs(%e2 : tensor<256x196xf32>) permutation = [1, 0]
  bufferization.materialize_in_destination %t in restrict writable %out2 : (tensor<256x196xf32>, memref<256x196xf32>) -> ()
  return
}
