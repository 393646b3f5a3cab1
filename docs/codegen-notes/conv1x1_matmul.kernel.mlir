func.func @kernel(%in: memref<1x256x56x56xf32>, %w: memref<64x256x1x1xf32>, %out: memref<1x64x56x56xf32>) {
  %in2 = memref.collapse_shape %in [[0, 1], [2, 3]] : memref<1x256x56x56xf32> into memref<256x3136xf32>
  %w2m = memref.collapse_shape %w [[0], [1, 2, 3]] : memref<64x256x1x1xf32> into memref<64x256xf32>
  %out2 = memref.collapse_shape %out [[0, 1], [2, 3]] : memref<1x64x56x56xf32> into memref<64x3136xf32>
  %x2 = bufferization.to_tensor %in2 restrict : memref<256x3136xf32>
  %w2 = bufferization.to_tensor %w2m restrict : memref<64x256xf32>
  %e = tensor.empty() : tensor<64x3136xf32>
  %z = arith.constant 0.0 : f32
  %f = linalg.fill ins(%z : f32) outs(%e : tensor<64x3136xf32>) -> tensor<64x3136xf32>
  %m = linalg.matmul {mlc.sched = 3} ins(%w2, %x2 : tensor<64x256xf32>, tensor<256x3136xf32>) outs(%f : tensor<64x3136xf32>) -> tensor<64x3136xf32>
  bufferization.materialize_in_destination %m in restrict writable %out2 : (tensor<64x3136xf32>, memref<64x3136xf32>) -> ()
  return
}
