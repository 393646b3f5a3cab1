#mapx = affine_map<(c, kh, kw, oh, ow) -> (c, oh * 2 + kh, ow * 2 + kw)>
#mapo = affine_map<(c, kh, kw, oh, ow) -> (c, kh, kw, oh, ow)>
func.func @kernel(%in: memref<1x3x224x224xf32>, %w: memref<64x3x7x7xf32>, %out: memref<1x64x112x112xf32>) {
  %in3 = memref.collapse_shape %in [[0, 1], [2], [3]] : memref<1x3x224x224xf32> into memref<3x224x224xf32>
  %w2m = memref.collapse_shape %w [[0], [1, 2, 3]] : memref<64x3x7x7xf32> into memref<64x147xf32>
  %out2 = memref.collapse_shape %out [[0, 1], [2, 3]] : memref<1x64x112x112xf32> into memref<64x12544xf32>
  %x = bufferization.to_tensor %in3 restrict : memref<3x224x224xf32>
  %w2 = bufferization.to_tensor %w2m restrict : memref<64x147xf32>
  %z = arith.constant 0.0 : f32
  %xp = tensor.pad %x low[0, 3, 3] high[0, 3, 3] {
  ^bb0(%a: index, %b: index, %c: index):
    tensor.yield %z : f32
  } : tensor<3x224x224xf32> to tensor<3x230x230xf32>
  %ce = tensor.empty() : tensor<3x7x7x112x112xf32>
  %col = linalg.generic {indexing_maps = [#mapx, #mapo], iterator_types = ["parallel", "parallel", "parallel", "parallel", "parallel"], mlc.sched = 2}
     ins(%xp : tensor<3x230x230xf32>) outs(%ce : tensor<3x7x7x112x112xf32>) {
  ^bb0(%a: f32, %b: f32):
    linalg.yield %a : f32
  } -> tensor<3x7x7x112x112xf32>
  %col2 = tensor.collapse_shape %col [[0, 1, 2], [3, 4]] : tensor<3x7x7x112x112xf32> into tensor<147x12544xf32>
  %e = tensor.empty() : tensor<64x12544xf32>
  %f = linalg.fill ins(%z : f32) outs(%e : tensor<64x12544xf32>) -> tensor<64x12544xf32>
  %m = linalg.matmul {mlc.sched = 3} ins(%w2, %col2 : tensor<64x147xf32>, tensor<147x12544xf32>) outs(%f : tensor<64x12544xf32>) -> tensor<64x12544xf32>
  bufferization.materialize_in_destination %m in restrict writable %out2 : (tensor<64x12544xf32>, memref<64x12544xf32>) -> ()
  return
}
