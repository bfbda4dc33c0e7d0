#pragma once
// Decode-step attention on raw buffers: one query per (row, head) against the KV cache, read from
// and written to the caller's own float buffers, with AVX2 + FMA code for the dot products, the
// exponentials and the weighted sum of value rows. Used by the inference-only decode step of the
// built-in policy (core/model/GptDecodeStep.h).
//
// Formula (the same as kernels/DecodeAttention.h), per row b and head h, with d = Dh, q = q[b,h]
// and S = {s < length : valid[b,s]}:
//     score_s = (q . keys[b,h,s]) / sqrt(d)                       for s in S
//     w_s     = exp(score_s - max_S score) / sum_{s' in S} exp(score_s' - max_S score)
//     out     = sum_{s in S} w_s values[b,h,s]
// Positions outside S are never read; a row whose S is empty gives zeros.
//
// Why a second kernel next to decodeAttention: at the rollout benchmark's shapes (64 rows x 8
// heads x Dh 32, ~40 cached positions) the decode step spent as long in attention as in a third
// of its matrix products; decodeAttention takes tensors (a contiguous copy of q and a new output
// per call) and its plain loops are compiled for the x86-64 baseline (SSE2), where a 32-float dot
// product and std::exp cost ~100 cycles per position. Here the dot products of eight positions
// are summed with one horizontal-add tree, exp is a Cephes-style polynomial (about 2 ulp) on
// eight lanes, and the value rows are accumulated with two independent FMA chains.
//
// Paths: AVX2 + FMA when the CPU has them (checked once at run time) and Dh is a multiple of 8 up
// to 128; otherwise plain loops with the same formula. at::parallel_for over B * H when each
// thread gets enough work. Inference only (no autograd).
#include <torch/types.h>

#include <cstdint>

namespace tb {

// Strides are in floats (bytes for `valid`). q[b,h,:] at q + b*qB + h*qH; keys[b,h,s,:] at
// keys + b*kB + h*kH + s*kS (the last dimension contiguous), likewise values; valid[b,s] (nonzero =
// may be attended) at valid + b*mB + s*mS; out[b,h,:] at out + b*oB + h*oH.
struct DecodeStepAttentionArgs {
  const float* q = nullptr;
  int64_t qB = 0, qH = 0;
  const float* keys = nullptr;
  int64_t kB = 0, kH = 0, kS = 0;
  const float* values = nullptr;
  int64_t vB = 0, vH = 0, vS = 0;
  const uint8_t* valid = nullptr;
  int64_t mB = 0, mS = 1;
  float* out = nullptr;
  int64_t oB = 0, oH = 0;
  int64_t batch = 0, heads = 0, headDim = 0, length = 0;
};

void decodeStepAttention(const DecodeStepAttentionArgs& args);

// The same on tensors (for tests): q [B,H,Dh] float32 CPU, keys / values [B,H,C,Dh] float32 CPU
// with unit last stride, valid [B,C'] bool or uint8 with C' >= length; returns [B,H,Dh].
torch::Tensor decodeStepAttention(const torch::Tensor& q, const torch::Tensor& keys,
                                  const torch::Tensor& values, const torch::Tensor& valid,
                                  int64_t length);

// Whether the AVX2 + FMA path is available on this CPU (for tests and reports).
bool decodeStepAttentionHasAvx2();

}  // namespace tb
