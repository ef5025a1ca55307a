"""The `vllm serve` command line for a deployment: a pure function of its settings."""

from __future__ import annotations

import shlex
from dataclasses import dataclass


@dataclass(frozen=True)
class VllmLaunch:
    model_source: str
    revision: str
    served_model_name: str
    api_key_env: str
    max_model_len: int
    tensor_parallel_size: int
    host: str = "0.0.0.0"  # noqa: S104  (inside its pod/container; the NetworkPolicy decides who reaches it)
    port: int = 8000

    def args(self, *, key_reference: str = "${{{}}}") -> list[str]:
        """Arguments after `vllm serve`. The key is a reference: ``${VAR}`` for a shell, ``$(VAR)`` for Kubernetes."""
        args = [self.model_source]
        if not self.model_source.startswith(("/", ".")):
            # A Hub id: pin the exact commit the approval covers. A local path is pinned by its files.
            args += ["--revision", self.revision]
        args += [
            "--served-model-name",
            self.served_model_name,
            "--api-key",
            key_reference.format(self.api_key_env),
            "--max-model-len",
            str(self.max_model_len),
            "--tensor-parallel-size",
            str(self.tensor_parallel_size),
            "--host",
            self.host,
            "--port",
            str(self.port),
            "--disable-fastapi-docs",
            # Prompts stay out of vLLM's logs: the gateway's inference records are the audit trail.
            "--no-enable-log-requests",
        ]
        return args

    def shell(self) -> str:
        """A shell line; the API key is left as an environment reference, never printed."""
        parts = ["vllm", "serve", *self.args()]
        return " ".join(f'"{part}"' if part.startswith("${") else shlex.quote(part) for part in parts)
