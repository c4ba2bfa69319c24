"""Reverse-mode automatic differentiation: ``backward``, ``grad``, ``Function``, grad modes."""

from .engine import backward, grad
from .function import Function, FunctionCtx, once_differentiable
from .grad_mode import (enable_grad, inference_mode, is_grad_enabled,
                        is_inference_mode_enabled, no_grad, set_grad_enabled)

__all__ = ["backward", "grad", "Function", "FunctionCtx", "once_differentiable", "no_grad",
           "enable_grad", "set_grad_enabled", "inference_mode", "is_grad_enabled",
           "is_inference_mode_enabled"]

from .gradcheck import GradcheckError, gradcheck, gradgradcheck  # noqa: E402

__all__ += ["gradcheck", "gradgradcheck", "GradcheckError"]
from .anomaly_mode import detect_anomaly, is_anomaly_enabled, set_detect_anomaly  # noqa: E402
from . import forward_ad, functional  # noqa: E402

__all__ += ["detect_anomaly", "set_detect_anomaly", "is_anomaly_enabled", "forward_ad",
            "functional"]
