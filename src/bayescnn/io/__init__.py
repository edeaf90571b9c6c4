"""Safe checkpoint I/O: safetensors files that cannot run code, written atomically."""

from bayescnn.io.atomic import (
    DEFAULT_MIN_FREE_BYTES,
    OutputPathError,
    RunDirError,
    atomic_path,
    atomic_write_bytes,
    check_writable_dir,
    check_writable_file,
)
from bayescnn.io.checkpoint import (
    Checkpoint,
    load_checkpoint,
    read_checkpoint_metadata,
    save_checkpoint,
)
from bayescnn.io.errors import CheckpointError, CheckpointMismatchError, DamagedCheckpointError
from bayescnn.io.legacy import load_legacy_state_dict
from bayescnn.io.model_state import load_model_state
from bayescnn.io.state import flatten_state, unflatten_state

__all__ = [
    "DEFAULT_MIN_FREE_BYTES",
    "Checkpoint",
    "CheckpointError",
    "CheckpointMismatchError",
    "DamagedCheckpointError",
    "OutputPathError",
    "RunDirError",
    "atomic_path",
    "atomic_write_bytes",
    "check_writable_dir",
    "check_writable_file",
    "flatten_state",
    "load_checkpoint",
    "load_legacy_state_dict",
    "load_model_state",
    "read_checkpoint_metadata",
    "save_checkpoint",
    "unflatten_state",
]
