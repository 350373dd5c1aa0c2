#!/usr/bin/env python3
"""Writes a synthetic formwork spec with N fields (default 5000) to stdout, for scaling measurements.

    python3 benches/synthetic_spec.py 5000 > /tmp/synthetic.yaml
    hyperfine 'target/release/formwork generate /tmp/synthetic.yaml --out /tmp/synthetic-out'

Fields cycle through every kind, spread over sections of 50 fields, with a shared value list,
a repeated group per section and an aggregate rule per group, so every emitter path is exercised.
"""
import sys

KINDS = ["text", "long_text", "email", "url", "number", "boolean", "choice", "image", "json", "secret"]


def main():
    n = int(sys.argv[1]) if len(sys.argv) > 1 else 5000
    out = [
        "form: {id: synthetic, title: Synthetic form}",
        "stages: [{id: draft, label: Save draft}, {id: final, label: Submit}]",
        "lists:",
        "  - id: colours",
        "    values: [{id: red, label: Red}, {id: green, label: Green}, {id: blue, label: Blue}]",
        "sections:",
    ]
    rules = []
    per_section = 50
    for s in range(0, n, per_section):
        out.append(f"  - id: section_{s // per_section}")
        out.append(f"    title: Section {s // per_section}")
        out.append("    fields:")
        for i in range(s, min(n, s + per_section)):
            kind = KINDS[i % len(KINDS)]
            req = "final" if i % 3 == 0 else "false"
            line = f"      - {{id: field_{i}, label: Field {i}, help: Help for field {i}, kind: {kind}, required: {req}"
            if kind in ("text", "long_text"):
                line += ", max_length: 200"
            elif kind == "number":
                line += ", minimum: 0, maximum: 1000"
            elif kind == "choice":
                line += ", list: colours, multiple: true, max_items: 2"
            elif kind == "image":
                line += ", media_types: [image/png], max_bytes: 1048576, min_width: 16, min_height: 16"
            elif kind == "json":
                line += ", json_type: object"
            out.append(line + "}")
        g = s // per_section
        out.append(f"      - id: group_{g}")
        out.append(f"        label: Group {g}")
        out.append("        kind: group")
        out.append("        fields:")
        out.append("          - {id: name, label: Name, kind: text, required: final, max_length: 30}")
        out.append("          - {id: colours, label: Colours, kind: choice, list: colours, multiple: true}")
        rules.append(f"  - {{id: group_{g}_per_colour, max_per_value: {{of: \"group_{g}[].colours\", max: 3}}}}")
    out.append("rules:")
    out.extend(rules)
    print("\n".join(out))


if __name__ == "__main__":
    main()
