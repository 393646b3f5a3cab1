func.func @kernel(%in: memref<1x64x56x56xf32>, %w: memref<64x64x3x3xf32>, %out: memref<1x64x56x56xf32>) {
  %x = bufferization.to_tensor %in restrict : memref<1x64x56x56xf32>
  %wt = bufferization.to_tensor %w restrict : memref<64x64x3x3xf32>
  %z = arith.constant 0.0 : f32
  %xp = tensor.pad %x low[0, 0, 1, 1] high[0, 0, 1, 1] {
  ^bb0(%a: index, %b: index, %c: index, %d: index):
    tensor.yield %z : f32
  } : tensor<1x64x56x56xf32> to tensor<1x64x58x58xf32>
  %e = tensor.empty() : tensor<1x64x56x56xf32>
  %f = linalg.fill ins(%z : f32) outs(%e : tensor<1x64x56x56xf32>) -> tensor<1x64x56x56xf32>
  %c = linalg.conv_2d_nchw_fchw {mlc.sched = 1, dilations = dense<1> : tensor<2xi64>, strides = dense<1> : tensor<2xi64>}
     ins(%xp, %wt : tensor<1x64x58x58xf32>, tensor<64x64x3x3xf32>) outs(%f : tensor<1x64x56x56xf32>) -> tensor<1x64x56x56xf32>
  bufferization.materialize_in_destination %c in restrict writable %out : (tensor<1x64x56x56xf32>, memref<1x64x56x56xf32>) -> ()
  return
}
