#pragma once
// Every functor launched through backend::for_each, for the CUDA instantiations (cuda/for_each.cu)
// and the NotCompiled stubs (stub/cuda_stub.cpp). A new kernel is added here once.
#include "backend/common/activation_kernels.hpp"
#include "backend/common/conv_kernels.hpp"
#include "backend/common/linear_kernels.hpp"
#include "backend/common/loss_kernels.hpp"
#include "backend/common/vector_kernels.hpp"

#define HC_FOR_EACH_KERNEL(X)                                \
  X(Fill)                                                    \
  X(Axpy)                                                    \
  X(Scale)                                                   \
  X(RowDot)                                                  \
  X(RowArgmaxMatch)                                          \
  X(ReluForward)                                             \
  X(ReluJacobian)                                            \
  X(TanhForward)                                             \
  X(TanhJacobian)                                            \
  X(TanhCurvature)                                           \
  X(AddRowVector)                                            \
  X(ColumnSum)                                               \
  X(PerSampleOuter)                                          \
  X(PerSampleRows)                                           \
  X(LossValue<kernels::CrossEntropy>)                                 \
  X(LossValue<kernels::SquaredError>)                                 \
  X(LossValue<kernels::SoftmaxSquaredError>)                          \
  X(LossGradient<kernels::CrossEntropy>)                              \
  X(LossGradient<kernels::SquaredError>)                              \
  X(LossGradient<kernels::SoftmaxSquaredError>)                       \
  X(LossHessian<kernels::CrossEntropy>)                               \
  X(LossHessian<kernels::SquaredError>)                               \
  X(LossHessian<kernels::SoftmaxSquaredError>)                        \
  X(Im2Col)                                                  \
  X(Col2Im)                                                  \
  X(AddChannelBias)                                          \
  X(ChannelSum)                                              \
  X(PerSampleChannelSum)                                     \
  X(MaxPoolGather)                                           \
  X(MaxPoolBackward)                                         \
  X(AvgPoolForward)                                          \
  X(AvgPoolBackward)
