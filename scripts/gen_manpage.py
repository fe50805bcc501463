#!/usr/bin/env python3
"""Write the gotap(1) man page (roff, man macros) from `gotap --help` and `gotap SUB --help`.

Usage: gen_manpage.py GOTAP VERSION OUTPUT

The help text is CLI11's: a description line, "Usage: ...", sections ("Positionals:",
"Options:", "Subcommands:") of two-column entries, then the footer (free text, with
"Examples:" blocks of indented command lines). The subcommands are read from the top-level
"Subcommands:" section, so a new subcommand shows up without touching this script. The date
is SOURCE_DATE_EPOCH's when set (reproducible builds), else today's.
"""

import datetime
import os
import re
import subprocess
import sys

DESC_COLUMN = 30  # CLI11 starts descriptions in this column


def run_help(gotap, *args):
    proc = subprocess.run([gotap, *args, "--help"], capture_output=True, text=True)
    if proc.returncode != 0 or not proc.stdout.strip():
        sys.exit(f"gen_manpage: '{gotap} {' '.join(args)} --help' failed "
                 f"(exit {proc.returncode}): {proc.stderr.strip()}")
    return proc.stdout


def parse_help(text):
    """Returns {"description", "usage", "sections": {name: [(term, desc)]}, "footer": [lines]}."""
    lines = text.rstrip("\n").split("\n")
    help_ = {"description": lines[0].strip(), "usage": "", "sections": {}, "footer": []}
    i = 1
    section = None
    while i < len(lines):
        line = lines[i]
        if line.startswith("Usage:"):
            help_["usage"] = line[len("Usage:"):].strip()
        elif line in ("Positionals:", "Options:", "Subcommands:"):
            section = help_["sections"].setdefault(line[:-1], [])
        elif section is not None and line.startswith("  "):
            if line[:DESC_COLUMN].strip() == "" and section:  # wrapped description
                term, desc = section[-1]
                section[-1] = (term, (desc + " " + line.strip()).strip())
            elif len(line) > DESC_COLUMN and line[DESC_COLUMN - 1] == " " and \
                    line[:DESC_COLUMN].strip():
                section.append((line[:DESC_COLUMN].strip(), line[DESC_COLUMN:].strip()))
            else:  # a term too long for its column: the description follows on the next line
                section.append((line.strip(), ""))
        elif line == "":
            section = None
        else:  # the footer: everything after the last section
            help_["footer"] = lines[i:]
            break
        i += 1
    return help_


# Characters a roff text line must spell as escapes.
ROFF_ESCAPES = {"\\": "\\e", "-": "\\-", "'": "\\(aq", "`": "\\(ga", "~": "\\(ti", "^": "\\(ha"}


def esc(text):
    """Escapes text for a roff text line (not the line start, see line())."""
    out = []
    for ch in text:
        if ch in ROFF_ESCAPES:
            out.append(ROFF_ESCAPES[ch])
        elif ord(ch) > 127:
            out.append(f"\\[u{ord(ch):04X}]")
        else:
            out.append(ch)
    return "".join(out)


def prose(text):
    """Escapes a paragraph; words like context.Context or gotap_calls_total get \\% so that
    they are never hyphenated (.nh does not survive the man macros' paragraphs)."""
    return " ".join(("\\%" if re.search(r"[._/:]", w) else "") + esc(w) for w in text.split(" "))


def line(text):
    """Text lines of at most 80 bytes; none starts with . or ' (a request), and a line that
    ends in "e.g." does not end a sentence (roff would add sentence space)."""
    words = text.split(" ")
    lines, cur = [], ""
    for i, w in enumerate(words):
        if cur and len(cur) + 1 + len(w) > 78:
            lines.append(cur)
            cur = w
        else:
            cur = f"{cur} {w}" if cur else w
    lines.append(cur)
    out = []
    for i, l in enumerate(lines):
        if i + 1 < len(lines) and re.search(r"[.?!][)\]\"*]*$", l) and \
                not re.match(r"^(\\%)?[A-Z]", lines[i + 1]):
            l += "\\&"
        out.append("\\&" + l if l[:1] in (".", "'") else l)
    return "\n".join(out)


def literal(text):
    """One line as is (examples, no-fill): only guarded against reading as a request."""
    return "\\&" + text if text[:1] in (".", "'") else text


def para(out):
    """A paragraph break, but not right after a heading (mandoc: "PP after SH")."""
    if not out[-1].startswith((".SH", ".SS")):
        out.append(".PP")


def bold(text):
    return f"\\fB{esc(text)}\\fR"


def italic(text):
    return f"\\fI{esc(text)}\\fR"


def synopsis_words(usage, positionals):
    """Usage "trace [OPTIONS] [ARGS...]" -> roff words; a positional whose help starts with its
    real shape ("[BINARY] PROBE...: ...") shows that shape instead of its name."""
    words = []
    for word in usage.split():
        name = word.strip("[]").rstrip(".")
        shape = None
        for term, desc in positionals:
            if term.split()[0] == name:
                m = re.match(r"^([A-Z\[\]. ]+):", desc)
                if m:
                    shape = m.group(1).strip()
                if " -- " in desc or "-- COMMAND" in desc or desc.rstrip(")").endswith(" --"):
                    shape = (shape or word) + " [-- COMMAND [ARG...]]"
        if shape:
            words.extend(shape.split())
        else:
            words.append(word)
    out = []
    for word in words:
        if word.lstrip("[").startswith("-"):
            out.append(esc(word[: len(word) - len(word.lstrip("["))]) + bold(word.lstrip("[")))
        else:
            # [OPTIONS] and [BINARY]: brackets roman, the name italic
            m = re.match(r"^(\[*)([^\[\].]+)([\].]*)$", word)
            if m:
                out.append(esc(m.group(1)) + italic(m.group(2)) + esc(m.group(3)))
            else:
                out.append(esc(word))
    return " ".join(out)


def option_term(term):
    """'-p,--pid INT REQUIRED' -> bold names, italic argument type."""
    names, _, rest = term.partition(" ")
    parts = [bold(n) for n in names.split(",")]
    text = ", ".join(parts)
    rest = rest.strip()
    required = False
    if rest.endswith("REQUIRED"):
        required = True
        rest = rest[: -len("REQUIRED")].strip()
    if rest:
        kind, _, constraint = rest.partition(" ")
        text += " " + italic(kind)
        if constraint:
            text += " " + esc(constraint)
    if required:
        text += " (required)"
    return text


def footer_blocks(footer):
    """Footer lines -> [("examples", [lines]) | ("para", text)]."""
    blocks = []
    i = 0
    while i < len(footer):
        text = footer[i]
        if text.rstrip().endswith(":") and text.startswith("Example"):
            examples = []
            i += 1
            while i < len(footer) and footer[i].startswith("  "):
                examples.append(footer[i][2:])
                i += 1
            blocks.append(("examples", examples))
            continue
        if text.strip():
            blocks.append(("para", text.strip()))
        i += 1
    return blocks


def emit_examples(out, examples):
    para(out)
    out.append(".RS 4")
    out.append(".EX")
    out.extend(literal(esc(e)) for e in examples)
    out.append(".EE")
    out.append(".RE")


def emit_entries(out, entries, term_fn):
    for term, desc in entries:
        out.append(".TP")
        out.append(line(term_fn(term)))
        out.append(line(prose(desc)))


def main():
    if len(sys.argv) != 4:
        sys.exit("usage: gen_manpage.py GOTAP VERSION OUTPUT")
    gotap, version, output = sys.argv[1:]
    top = parse_help(run_help(gotap))
    subcommands = [term for term, _ in top["sections"].get("Subcommands", [])]
    if not subcommands:
        sys.exit("gen_manpage: no subcommands in 'gotap --help'")
    subs = {name: parse_help(run_help(gotap, name)) for name in subcommands}

    epoch = os.environ.get("SOURCE_DATE_EPOCH")
    when = datetime.datetime.fromtimestamp(int(epoch), datetime.timezone.utc) if epoch else \
        datetime.datetime.now(datetime.timezone.utc)
    name, _, summary = top["description"].partition(": ")
    summary = summary.rstrip(".")

    out = [
        '.\\" Generated by scripts/gen_manpage.py from gotap --help; do not edit.',
        f'.TH GOTAP 1 "{when:%Y-%m-%d}" "gotap {esc(version)}" "User Commands"',
        ".nh",  # no hyphenation: names like context.Context must stay whole
        ".SH NAME",
        f"gotap \\- {esc(summary)}",
        ".SH SYNOPSIS",
    ]
    for sub in subcommands:
        h = subs[sub]
        usage = h["usage"]
        if usage.split()[:1] == [sub]:
            usage = usage[len(sub):]
        if out[-1] != ".SH SYNOPSIS":
            out.append(".br")
        out.append(f"{bold('gotap')} {bold(sub)} "
                   f"{synopsis_words(usage, h['sections'].get('Positionals', []))}")
    out.append(".br")
    out.append(f"{bold('gotap')} {bold('--help')} | {bold('gotap')} {italic('SUBCOMMAND')} "
               f"{bold('--help')}")

    out += [".SH DESCRIPTION", line(prose(top["description"]))]
    examples, exit_codes = [], []
    for kind, value in footer_blocks(top["footer"]):
        if kind == "examples":
            examples.append(value)
        elif value.startswith("Exit codes:"):
            exit_codes.append(value[len("Exit codes:"):].strip())
        elif value.startswith("Run 'gotap SUBCOMMAND --help'"):
            continue  # the man page lists every subcommand's options below
        else:
            out += [".PP", line(prose(value))]
    out += [".SH OPTIONS"]
    emit_entries(out, top["sections"].get("Options", []), option_term)

    out.append(".SH SUBCOMMANDS")
    for sub in subcommands:
        h = subs[sub]
        out.append(f'.SS "{sub}"')
        out.append(line(prose(h["description"])))
        positionals = h["sections"].get("Positionals", [])
        if positionals:
            out += [".PP", "Arguments:"]
            emit_entries(out, positionals, lambda t: italic(t.split()[0]))
        options = h["sections"].get("Options", [])
        if options:
            out += [".PP", "Options:"]
            emit_entries(out, options, option_term)
        for kind, value in footer_blocks(h["footer"]):
            if kind == "examples":
                out += [".PP", "Examples:"]
                emit_examples(out, value)
            else:
                out += [".PP", line(prose(value))]

    if examples:
        out.append(".SH EXAMPLES")
        for block in examples:
            emit_examples(out, block)
    if exit_codes:
        out.append(".SH EXIT STATUS")
        for text in exit_codes:
            para(out)
            out.append(line(prose(text)))
    out += [
        ".SH PRIVILEGES",
        line("Every subcommand but " + bold("info") + ", " + bold("funcs") + ", " +
        bold("goroutines") + " and " + bold("ns --once") + " loads eBPF programs: " +
        prose("run it as root, or with CAP_BPF, CAP_PERFMON, CAP_SYS_RESOURCE, CAP_SYS_PTRACE "
              "and CAP_DAC_READ_SEARCH. The kernel needs BTF (/sys/kernel/btf/vmlinux).")),
        ".SH SEE ALSO",
        bold("bpf") + "(2), " + bold("perf_event_open") + "(2), " + bold("proc") + "(5)",
    ]
    text = "\n".join(out) + "\n"
    tmp = output + ".tmp"
    with open(tmp, "w", encoding="ascii") as f:
        f.write(text)
    os.replace(tmp, output)


if __name__ == "__main__":
    main()
