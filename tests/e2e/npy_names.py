"""Maps tensor names to .npy file names, the same way `mlc run` does.

A name is kept as is when it consists of [A-Za-z0-9_.-] only; every other
UTF-8 byte becomes %XX (uppercase hex), and so does a leading '.', so that
"/fc/Gemm_output_0" is stored as "%2Ffc%2FGemm_output_0.npy".
"""

_SAFE = frozenset(b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_.-")


def encode(name):
    """Returns the file stem for tensor `name` (without .npy)."""
    out = []
    for i, byte in enumerate(name.encode("utf-8")):
        if byte in _SAFE and not (i == 0 and byte == ord(".")):
            out.append(chr(byte))
        else:
            out.append("%%%02X" % byte)
    return "".join(out)


def file_name(name):
    return encode(name) + ".npy"
