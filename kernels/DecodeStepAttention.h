#pragma once
// Decode-step attention on raw buffers: one query per (row, head) against the KV cache, read from
// and written to the caller's own float buffers, with AVX2 + FMA code for the dot products, the
// exponentials and the weighted sum of value rows. Used by the inference-only decode step of the
// built-in policy (core/model/GptDecodeStep.h).
//
// Formula, per row b, new token t (at cache position p = start + t) and head h, with d = Dh,
// q = q[b,t,h] and S = {s <= p : valid[b,s]}, plus p itself when `attendSelf`:
//     score_s = (q . keys[b,h,s]) / sqrt(d)                       for s in S
//     w_s     = exp(score_s - max_S score) / sum_{s' in S} exp(score_s' - max_S score)
//     out     = sum_{s in S} w_s values[b,h,s]
// Positions outside S are never read; an empty S gives zeros. With one token and attendSelf
// false this is kernels/DecodeAttention.h's formula (length = start + 1); with attendSelf it is
// GptPolicy's mask (causal, valid keys, and every query sees itself, so that the outputs of
// padded positions stay finite), which the whole-sequence forward and the prefill use.
//
// Why a second kernel next to decodeAttention: at the rollout benchmark's shapes (64 rows x 8
// heads x Dh 32, ~40 cached positions) the decode step spent as long in attention as in a third
// of its matrix products; decodeAttention takes tensors (a contiguous copy of q and a new output
// per call) and its plain loops are compiled for the x86-64 baseline (SSE2), where a 32-float dot
// product and std::exp cost ~100 cycles per position. Here the dot products of eight positions
// are summed with one horizontal-add tree, exp is a Cephes-style polynomial (about 2 ulp) on
// eight lanes, the value rows are accumulated with two independent FMA chains, and the cache
// rows of the next (row, head) are prefetched while the current one is computed: the cache
// (tens of MB) comes from memory, and the prefetch took the rollout's attention from 86 to 63 ms.
//
// Paths: AVX2 + FMA when the CPU has them (checked once at run time) and Dh is a multiple of 8 up
// to 128; otherwise plain loops with the same formula. at::parallel_for over the B * T * H
// (row, token, head) items when each thread gets enough work (in parallel only where this file
// is compiled with OpenMP, as LibTorch's header-only parallel_for requires). Inference only (no
// autograd). Thread count: LibTorch's.
#include <torch/types.h>

#include <cstdint>

namespace tb {

// Strides are in floats (bytes for `valid`). q[b,t,h,:] at q + b*qB + t*qT + h*qH;
// keys[b,h,s,:] at keys + b*kB + h*kH + s*kS (the last dimension contiguous), likewise values;
// valid[b,s] (nonzero = may be attended) at valid + b*mB + s*mS; out[b,t,h,:] at
// out + b*oB + t*oT + h*oH. The keys and values of the new tokens must already be in the cache.
struct DecodeStepAttentionArgs {
  const float* q = nullptr;
  int64_t qB = 0, qT = 0, qH = 0;
  const float* keys = nullptr;
  int64_t kB = 0, kH = 0, kS = 0;
  const float* values = nullptr;
  int64_t vB = 0, vH = 0, vS = 0;
  const uint8_t* valid = nullptr;
  int64_t mB = 0, mS = 1;
  float* out = nullptr;
  int64_t oB = 0, oT = 0, oH = 0;
  int64_t batch = 0, tokens = 1, heads = 0, headDim = 0;
  int64_t start = 0;        // cache position of token 0; token t sees positions <= start + t
  bool attendSelf = false;  // each token also sees its own position when that is not valid
};

void decodeStepAttention(const DecodeStepAttentionArgs& args);

// One token per row on tensors (for tests): q [B,H,Dh] float32 CPU, keys / values [B,H,C,Dh]
// float32 CPU with unit last stride, valid [B,C'] bool or uint8 with C' >= length; the token sits at
// position length - 1. Returns [B,H,Dh].
torch::Tensor decodeStepAttention(const torch::Tensor& q, const torch::Tensor& keys,
                                  const torch::Tensor& values, const torch::Tensor& valid,
                                  int64_t length, bool attendSelf = false);

// Whether the AVX2 + FMA path is available on this CPU (for tests and reports).
bool decodeStepAttentionHasAvx2();

}  // namespace tb
