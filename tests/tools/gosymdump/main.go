// gosymdump prints every function Go's own debug/gosym finds in an ELF binary's pclntab, one
// per line: "<entry hex> <end hex> <name>", in table order. gotap's tests build it with each
// toolchain of the fixture matrix and compare gotap's function list with its output, so the
// expected functions come from the toolchain that wrote the binary, never from gotap.
//
// It needs only .gopclntab (or .data.rel.ro.gopclntab, or the runtime.pclntab symbol) and the
// text base, so it works on stripped binaries. The text base is runtime.text when the binary
// has symbols, else the start of .text, as `go tool objdump` does.
package main

import (
	"bufio"
	"debug/elf"
	"debug/gosym"
	"fmt"
	"os"
)

func main() {
	if len(os.Args) != 2 {
		fmt.Fprintln(os.Stderr, "usage: gosymdump BINARY")
		os.Exit(2)
	}
	if err := dump(os.Args[1]); err != nil {
		fmt.Fprintln(os.Stderr, "gosymdump:", err)
		os.Exit(1)
	}
}

func dump(path string) error {
	f, err := elf.Open(path)
	if err != nil {
		return err
	}
	defer f.Close()
	text, err := textBase(f)
	if err != nil {
		return err
	}
	pcln, err := pclntab(f)
	if err != nil {
		return err
	}
	table, err := gosym.NewTable(nil, gosym.NewLineTable(pcln, text))
	if err != nil {
		return err
	}
	out := bufio.NewWriter(os.Stdout)
	for _, fn := range table.Funcs {
		fmt.Fprintf(out, "%x %x %s\n", fn.Entry, fn.End, fn.Name)
	}
	return out.Flush()
}

func textBase(f *elf.File) (uint64, error) {
	if syms, err := f.Symbols(); err == nil {
		for _, s := range syms {
			if s.Name == "runtime.text" {
				return s.Value, nil
			}
		}
	}
	if s := f.Section(".text"); s != nil {
		return s.Addr, nil
	}
	return 0, fmt.Errorf("no runtime.text symbol and no .text section")
}

func pclntab(f *elf.File) ([]byte, error) {
	for _, name := range []string{".gopclntab", ".data.rel.ro.gopclntab"} {
		if s := f.Section(name); s != nil {
			return s.Data()
		}
	}
	return nil, fmt.Errorf("no .gopclntab section")
}
