// The mean aggregator of GraphSAGE as a LibTorch autograd op: for every
// destination node of a block, the mean of its sampled in-neighbours' rows,
// computed as a CSR segment-mean (no E x D gather is materialised). The
// backward pass walks the block's transposed CSR, so both directions run in
// parallel over output rows without atomics.
#ifndef DISTSAGE_TRAINER_NEIGHBOR_MEAN_H_
#define DISTSAGE_TRAINER_NEIGHBOR_MEAN_H_

#include <ATen/core/Tensor.h>
#include <c10/util/BFloat16.h>

#include "trainer/block.h"

namespace distsage {

// out[i] = mean of x[block.indices[e]] over e in [indptr[i], indptr[i+1]),
// and 0 for a destination without in-edges (DGL's SAGEConv('mean')).
// `x` is a 2-D float, double or bfloat16 tensor (bf16 rows are summed in
// float32 and the result rounded once) whose rows the block's indices address
// (the block's source nodes in training, any row set in layer-wise
// inference); the result has block.num_dst rows. The backward pass needs
// block.BuildReverse() to have run and `block` to stay alive and unchanged
// until it has run; the tensor is wrapped, not copied.
at::Tensor NeighborMean(const at::Tensor& x, const Block& block);

// NeighborMean's forward pass over float32 rows, without autograd and all in
// the calling thread (no intra-op threads): for a loader thread that computes
// the first layer's means ahead of the model, beside the model's own threads.
// `x` has block.num_src() rows of `dim` floats; `out` receives block.num_dst
// rows, bit for bit what NeighborMean returns for the same rows.
void NeighborMeanRows(const float* x, int64_t dim, const Block& block, float* out);
// The same over rows read where they are: rows[i] is the address of source
// row i (block.num_src() addresses of `dim` floats each), e.g. rows of a
// mapped partition (GraphClient::LocateFeatureRows). The same sums in the
// same order, so the same bits as over the rows copied into one matrix.
void NeighborMeanRows(const float* const* rows, int64_t dim, const Block& block, float* out);
// The two above, each mean rounded once to bfloat16 (to nearest even, as LibTorch's
// float-to-bf16 conversion does): exactly the float32 means converted.
void NeighborMeanRows(const float* x, int64_t dim, const Block& block, c10::BFloat16* out);
void NeighborMeanRows(const float* const* rows, int64_t dim, const Block& block,
                      c10::BFloat16* out);
// The same over rows stored as bfloat16 read where they are (bit patterns,
// GraphClient::LocateBFloat16Rows), each value widened exactly: the same
// sums, so the same bits as over those rows widened to float32 first; half
// the bytes to read.
void NeighborMeanRows(const uint16_t* const* rows, int64_t dim, const Block& block, float* out);
void NeighborMeanRows(const uint16_t* const* rows, int64_t dim, const Block& block,
                      c10::BFloat16* out);

// in[0 .. count) rounded to bfloat16 into out: bit for bit LibTorch's
// float-to-bf16 conversion (common/bfloat16.h's RoundFloatBitsToBFloat16),
// vectorised.
void RoundToBFloat16(const float* in, int64_t count, c10::BFloat16* out);

}  // namespace distsage

#endif  // DISTSAGE_TRAINER_NEIGHBOR_MEAN_H_
