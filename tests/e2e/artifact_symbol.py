"""Writes the bytes of one data symbol of an artifact's ELF part to a file.

Usage: artifact_symbol.py ARTIFACT.so SYMBOL OUT

For checks of what an artifact embeds (e.g. mlc_cuda_cubin_sm_90a, a cubin
ptxas built). Reads the ELF64 little-endian symbol table with the standard
library only; exits non-zero with one line if the symbol is not there.
"""
import struct
import sys


def main() -> None:
    if len(sys.argv) != 4:
        sys.exit(__doc__)
    path, name, out = sys.argv[1:]
    data = open(path, "rb").read()
    if data[:4] != b"\x7fELF" or data[4] != 2 or data[5] != 1:
        sys.exit(f"error: {path} is not a little-endian ELF64 file")
    shoff, = struct.unpack_from("<Q", data, 0x28)
    shentsize, shnum = struct.unpack_from("<HH", data, 0x3A)
    sections = [struct.unpack_from("<IIQQQQIIQQ", data, shoff + i * shentsize)
                for i in range(shnum)]
    for sh in sections:
        if sh[1] not in (2, 11):  # SHT_SYMTAB, SHT_DYNSYM
            continue
        strtab = sections[sh[6]]
        for off in range(sh[4], sh[4] + sh[5], sh[9]):
            st_name, _, _, shndx, value, size = struct.unpack_from(
                "<IBBHQQ", data, off)
            end = data.index(b"\0", strtab[4] + st_name)
            # Undefined, absolute or common symbols hold no bytes here.
            if (data[strtab[4] + st_name:end].decode() != name or
                    shndx == 0 or shndx >= 0xff00):
                continue
            section = sections[shndx]
            start = section[4] + value - section[3]  # file offset
            open(out, "wb").write(data[start:start + size])
            return
    sys.exit(f"error: {path} has no symbol {name}")


if __name__ == "__main__":
    main()
