package bundle

import (
	"debug/elf"
	"os"
)

// imageEnd returns where an ELF program's own bytes end (its section header
// table comes last), so that bytes after it are known to be appended. Other
// formats report false.
func imageEnd(f *os.File) (int64, bool) {
	ef, err := elf.NewFile(f)
	if err != nil {
		return 0, false
	}
	defer ef.Close()
	var hdr struct {
		shoff            int64
		shentsize, shnum int64
	}
	raw := make([]byte, 64)
	if _, err := f.ReadAt(raw, 0); err != nil {
		return 0, false
	}
	bo := ef.ByteOrder
	switch ef.Class {
	case elf.ELFCLASS64:
		hdr.shoff = int64(bo.Uint64(raw[40:]))
		hdr.shentsize, hdr.shnum = int64(bo.Uint16(raw[58:])), int64(bo.Uint16(raw[60:]))
	case elf.ELFCLASS32:
		hdr.shoff = int64(bo.Uint32(raw[32:]))
		hdr.shentsize, hdr.shnum = int64(bo.Uint16(raw[46:])), int64(bo.Uint16(raw[48:]))
	default:
		return 0, false
	}
	end := hdr.shoff + hdr.shentsize*hdr.shnum
	for _, s := range ef.Sections {
		if s.Type != elf.SHT_NOBITS {
			end = max(end, int64(s.Offset+s.FileSize))
		}
	}
	for _, p := range ef.Progs {
		end = max(end, int64(p.Off+p.Filesz))
	}
	return end, end > 0
}
