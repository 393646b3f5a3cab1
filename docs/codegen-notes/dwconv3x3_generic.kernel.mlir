#mx = affine_map<(c, oh, kh, kw, ow) -> (c, oh * 1 + kh, ow * 1 + kw)>
#mw = affine_map<(c, oh, kh, kw, ow) -> (c, kh, kw)>
#mo = affine_map<(c, oh, kh, kw, ow) -> (c, oh, ow)>
func.func @kernel(%in: memref<1x144x56x56xf32>, %w: memref<144x1x3x3xf32>, %out: memref<1x144x56x56xf32>) {
  %in3 = memref.collapse_shape %in [[0, 1], [2], [3]] : memref<1x144x56x56xf32> into memref<144x56x56xf32>
  %w3m = memref.collapse_shape %w [[0, 1], [2], [3]] : memref<144x1x3x3xf32> into memref<144x3x3xf32>
  %out3 = memref.collapse_shape %out [[0, 1], [2], [3]] : memref<1x144x56x56xf32> into memref<144x56x56xf32>
  %x = bufferization.to_tensor %in3 restrict : memref<144x56x56xf32>
  %w3 = bufferization.to_tensor %w3m restrict : memref<144x3x3xf32>
  %z = arith.constant 0.0 : f32
  %xp = tensor.pad %x low[0, 1, 1] high[0, 1, 1] {
  ^bb0(%a: index, %b: index, %c: index):
    tensor.yield %z : f32
  } : tensor<144x56x56xf32> to tensor<144x58x58xf32>
  %e = tensor.empty() : tensor<144x56x56xf32>
  %f = linalg.fill ins(%z : f32) outs(%e : tensor<144x56x56xf32>) -> tensor<144x56x56xf32>
  %r = linalg.generic {indexing_maps = [#mx, #mw, #mo], iterator_types = ["parallel", "parallel", "reduction", "reduction", "parallel"], mlc.sched = 4}
     ins(%xp, %w3 : tensor<144x58x58xf32>, tensor<144x3x3xf32>) outs(%f : tensor<144x56x56xf32>) {
  ^bb0(%a: f32, %b: f32, %c: f32):
    %p = arith.mulf %a, %b : f32
    %s = arith.addf %c, %p : f32
    linalg.yield %s : f32
  } -> tensor<144x56x56xf32>
  bufferization.materialize_in_destination %r in restrict writable %out3 : (tensor<144x56x56xf32>, memref<144x56x56xf32>) -> ()
  return
}
