#pragma once
// The non-GEMM parts of convolution and pooling on NCHW-flattened activations: a sample's row
// holds channel c, row h, column w at c * H * W + h * W + w (PyTorch's layout). Every kernel is a
// gather (one output element per index, no atomics), so results are deterministic on the device.
// Device code is compiled as C++17: plain aggregates only.
#include "backend/types.hpp"

namespace hesscov::backend::kernels {

/// Shape of one 2-D convolution: input [in_channels x in_h x in_w], kernel [kernel_h x kernel_w],
/// equal stride and zero padding on both axes, output [out_h x out_w] per output channel.
/// The im2col matrix of one sample is [patch() x spatial()], row k = (c, ki, kj) in the order of
/// the weight's [out, in, kh, kw] layout, column l = oh * out_w + ow.
struct ConvGeometry {
  index in_channels, in_h, in_w;
  index kernel_h, kernel_w, stride, padding;
  index out_h, out_w;
  HC_HOST_DEVICE index patch() const { return in_channels * kernel_h * kernel_w; }
  HC_HOST_DEVICE index spatial() const { return out_h * out_w; }
  HC_HOST_DEVICE index in_features() const { return in_channels * in_h * in_w; }
};

/// col[n, k, l] = x[n, c, oh*stride - padding + ki, ow*stride - padding + kj] (0 outside the
/// image) for `samples` consecutive samples of x. i runs over samples * patch * out_h: one call
/// fills the out_w columns of one output row, which keeps the index arithmetic (integer
/// divisions) out of the innermost loop on the host while leaving enough parallel rows for a GPU.
struct Im2Col {
  ConvGeometry g;
  const double* x;
  double* col;
  HC_HOST_DEVICE void operator()(index i) const {
    const index rows_per_sample = g.patch() * g.out_h;
    const index n = i / rows_per_sample;
    const index k = (i % rows_per_sample) / g.out_h;
    const index oh = i % g.out_h;
    const index c = k / (g.kernel_h * g.kernel_w);
    const index ki = (k / g.kernel_w) % g.kernel_h;
    const index kj = k % g.kernel_w;
    const index ih = oh * g.stride - g.padding + ki;
    double* out = col + (n * g.patch() + k) * g.spatial() + oh * g.out_w;
    if (ih < 0 || ih >= g.in_h) {
      for (index ow = 0; ow < g.out_w; ++ow) out[ow] = 0.0;
      return;
    }
    const double* row = x + n * g.in_features() + (c * g.in_h + ih) * g.in_w;
    for (index ow = 0; ow < g.out_w; ++ow) {
      const index iw = ow * g.stride - g.padding + kj;
      out[ow] = iw >= 0 && iw < g.in_w ? row[iw] : 0.0;
    }
  }
};

/// The adjoint of Im2Col: x[n, c, ih, iw] (+)= sum of the col entries that Im2Col copied from it.
/// Overwrites x when accumulate is false. i runs over samples * in_features.
struct Col2Im {
  ConvGeometry g;
  const double* col;
  double* x;
  bool accumulate;
  HC_HOST_DEVICE void operator()(index i) const {
    const index n = i / g.in_features();
    const index c = (i % g.in_features()) / (g.in_h * g.in_w);
    const index ih = (i / g.in_w) % g.in_h;
    const index iw = i % g.in_w;
    const double* sample = col + n * g.patch() * g.spatial();
    double sum = 0.0;
    for (index ki = 0; ki < g.kernel_h; ++ki) {
      const index row = ih + g.padding - ki;  // = oh * stride when (ih, ki) meet output row oh
      if (row < 0 || row % g.stride != 0 || row / g.stride >= g.out_h) continue;
      for (index kj = 0; kj < g.kernel_w; ++kj) {
        const index column = iw + g.padding - kj;
        if (column < 0 || column % g.stride != 0 || column / g.stride >= g.out_w) continue;
        const index k = (c * g.kernel_h + ki) * g.kernel_w + kj;
        sum += sample[k * g.spatial() + (row / g.stride) * g.out_w + column / g.stride];
      }
    }
    x[i] = accumulate ? x[i] + sum : sum;
  }
};

/// y[n, c, l] += bias[c] for y [samples x channels x spatial]; i runs over all entries.
struct AddChannelBias {
  const double* bias;
  index channels;
  index spatial;
  double* y;
  HC_HOST_DEVICE void operator()(index i) const { y[i] += bias[(i / spatial) % channels]; }
};

/// out[c] += sum_{n, l} dy[n, c, l]: the summed bias gradient; c runs over the channels.
struct ChannelSum {
  const double* dy;
  index samples;
  index channels;
  index spatial;
  double* out;
  HC_HOST_DEVICE void operator()(index c) const {
    double sum = 0.0;
    for (index n = 0; n < samples; ++n)
      for (index l = 0; l < spatial; ++l) sum += dy[(n * channels + c) * spatial + l];
    out[c] += sum;
  }
};

/// out[n * stride + c] += sum_l dy[n, c, l]: each sample's own bias gradient; i runs over
/// samples * channels.
struct PerSampleChannelSum {
  const double* dy;
  index channels;
  index spatial;
  double* out;
  index stride;
  HC_HOST_DEVICE void operator()(index i) const {
    double sum = 0.0;
    for (index l = 0; l < spatial; ++l) sum += dy[i * spatial + l];
    out[(i / channels) * stride + i % channels] += sum;
  }
};

/// Pooling windows over one [channels x in_h x in_w] sample. Fixed windows (adaptive == false):
/// rows [o * stride, o * stride + kernel), the same for columns, no padding. Adaptive windows
/// (PyTorch's AdaptiveAvgPool2d): rows [floor(o * in_h / out_h), ceil((o + 1) * in_h / out_h)).
struct PoolGeometry {
  index channels, in_h, in_w, out_h, out_w;
  index kernel, stride;
  bool adaptive;
  HC_HOST_DEVICE index in_features() const { return channels * in_h * in_w; }
  HC_HOST_DEVICE index out_features() const { return channels * out_h * out_w; }
  HC_HOST_DEVICE index start(index o, index in, index out) const {
    return adaptive ? o * in / out : o * stride;
  }
  HC_HOST_DEVICE index end(index o, index in, index out) const {
    return adaptive ? ((o + 1) * in + out - 1) / out : o * stride + kernel;
  }
  /// The first and last window (inclusive) containing input position p along one axis.
  HC_HOST_DEVICE index first_window(index p, index in, index out) const {
    if (adaptive) return p * out / in;  // end(o) > p  <=>  o >= floor(p * out / in)
    return p < kernel ? 0 : (p - kernel) / stride + 1;
  }
  HC_HOST_DEVICE index last_window(index p, index in, index out) const {
    const index last = adaptive ? ((p + 1) * out + in - 1) / in - 1 : p / stride;
    return last < out - 1 ? last : out - 1;
  }
  /// Flat input offset (within the sample) of the first maximum of x over output o's window,
  /// scanned row by row: ties go to the first index, like PyTorch's CPU kernel.
  HC_HOST_DEVICE index argmax(const double* sample, index c, index oh, index ow) const {
    const index h0 = start(oh, in_h, out_h), h1 = end(oh, in_h, out_h);
    const index w0 = start(ow, in_w, out_w), w1 = end(ow, in_w, out_w);
    index best = (c * in_h + h0) * in_w + w0;
    for (index h = h0; h < h1; ++h)
      for (index w = w0; w < w1; ++w) {
        const index at = (c * in_h + h) * in_w + w;
        if (sample[at] > sample[best]) best = at;
      }
    return best;
  }
};

/// y[n, o] = values[n, argmax of x[n] over window o]: the max-pool forward pass (values == x)
/// and its R-forward pass (values == Rx). i runs over samples * out_features.
struct MaxPoolGather {
  PoolGeometry g;
  const double* x;
  const double* values;
  double* y;
  HC_HOST_DEVICE void operator()(index i) const {
    const index n = i / g.out_features();
    const index c = (i % g.out_features()) / (g.out_h * g.out_w);
    const index oh = (i / g.out_w) % g.out_h;
    const index ow = i % g.out_w;
    y[i] = values[n * g.in_features() + g.argmax(x + n * g.in_features(), c, oh, ow)];
  }
};

/// dx[n, p] = sum of dy[n, o] over the windows o whose argmax is p (overwritten): the max-pool
/// backward pass as a gather over the windows containing p. i runs over samples * in_features.
struct MaxPoolBackward {
  PoolGeometry g;
  const double* x;
  const double* dy;
  double* dx;
  HC_HOST_DEVICE void operator()(index i) const {
    const index n = i / g.in_features();
    const index p = i % g.in_features();
    const index c = p / (g.in_h * g.in_w);
    const index ih = (p / g.in_w) % g.in_h;
    const index iw = p % g.in_w;
    double sum = 0.0;
    for (index oh = g.first_window(ih, g.in_h, g.out_h); oh <= g.last_window(ih, g.in_h, g.out_h); ++oh)
      for (index ow = g.first_window(iw, g.in_w, g.out_w); ow <= g.last_window(iw, g.in_w, g.out_w); ++ow)
        if (g.argmax(x + n * g.in_features(), c, oh, ow) == p)
          sum += dy[n * g.out_features() + (c * g.out_h + oh) * g.out_w + ow];
    dx[i] = sum;
  }
};

/// y[n, o] = mean of x[n] over window o. i runs over samples * out_features.
struct AvgPoolForward {
  PoolGeometry g;
  const double* x;
  double* y;
  HC_HOST_DEVICE void operator()(index i) const {
    const index n = i / g.out_features();
    const index c = (i % g.out_features()) / (g.out_h * g.out_w);
    const index oh = (i / g.out_w) % g.out_h;
    const index ow = i % g.out_w;
    const index h0 = g.start(oh, g.in_h, g.out_h), h1 = g.end(oh, g.in_h, g.out_h);
    const index w0 = g.start(ow, g.in_w, g.out_w), w1 = g.end(ow, g.in_w, g.out_w);
    const double* sample = x + n * g.in_features() + c * g.in_h * g.in_w;
    double sum = 0.0;
    for (index h = h0; h < h1; ++h)
      for (index w = w0; w < w1; ++w) sum += sample[h * g.in_w + w];
    y[i] = sum / static_cast<double>((h1 - h0) * (w1 - w0));
  }
};

/// dx[n, p] = sum over the windows o containing p of dy[n, o] / |window o| (overwritten).
/// i runs over samples * in_features.
struct AvgPoolBackward {
  PoolGeometry g;
  const double* dy;
  double* dx;
  HC_HOST_DEVICE void operator()(index i) const {
    const index n = i / g.in_features();
    const index c = (i % g.in_features()) / (g.in_h * g.in_w);
    const index ih = (i / g.in_w) % g.in_h;
    const index iw = i % g.in_w;
    double sum = 0.0;
    for (index oh = g.first_window(ih, g.in_h, g.out_h); oh <= g.last_window(ih, g.in_h, g.out_h); ++oh) {
      const index rows = g.end(oh, g.in_h, g.out_h) - g.start(oh, g.in_h, g.out_h);
      for (index ow = g.first_window(iw, g.in_w, g.out_w); ow <= g.last_window(iw, g.in_w, g.out_w); ++ow) {
        const index cols = g.end(ow, g.in_w, g.out_w) - g.start(ow, g.in_w, g.out_w);
        sum += dy[n * g.out_features() + (c * g.out_h + oh) * g.out_w + ow] /
               static_cast<double>(rows * cols);
      }
    }
    dx[i] = sum;
  }
};

}  // namespace hesscov::backend::kernels
