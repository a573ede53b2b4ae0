#include "server/kv_spec_proto.h"

#include "common/status_macros.h"

namespace distsage {

absl::StatusOr<KVTensorSpec> SpecFromProto(const TensorSpec& proto) {
  KVTensorSpec spec;
  spec.name = proto.name();
  spec.dim = proto.dim();
  spec.init = proto.init().empty() ? "zeros" : proto.init();
  spec.init_scale = proto.init_scale();
  spec.seed = proto.seed();
  const OptimizerSpec& optimizer = proto.optimizer();
  DS_ASSIGN_OR_RETURN(spec.optimizer,
                      ParseOptimizer(optimizer.kind(), optimizer.lr(), optimizer.eps(),
                                     optimizer.beta1(), optimizer.beta2()));
  DS_RETURN_IF_ERROR(CheckSpec(spec));
  return spec;
}

TensorSpec SpecToProto(const KVTensorSpec& spec) {
  TensorSpec proto;
  proto.set_name(spec.name);
  proto.set_dim(spec.dim);
  proto.set_init(spec.init);
  proto.set_init_scale(spec.init_scale);
  proto.set_seed(spec.seed);
  OptimizerSpec* optimizer = proto.mutable_optimizer();
  optimizer->set_kind(OptimizerName(spec.optimizer.kind));
  optimizer->set_lr(spec.optimizer.lr);
  optimizer->set_eps(spec.optimizer.eps);
  optimizer->set_beta1(spec.optimizer.beta1);
  optimizer->set_beta2(spec.optimizer.beta2);
  return proto;
}

}  // namespace distsage
