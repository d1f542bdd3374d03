#!/usr/bin/python3
"""The one entry point of gradscope's PyTorch fixtures (see README.md for what each set holds).

    /usr/bin/python3 tools/torch/make_fixtures.py [SET ...] [--out DIR]

SET is any of goldens, semantics, core, conv (default: all, each into its committed folder). `--out` writes the
chosen sets into DIR instead, which is how the regeneration test compares them with the committed files.
"""
import argparse
import pathlib

import conv_fixtures
import core_fixtures
import goldens
import semantics

SETS = {
    'goldens': (goldens.write_all, goldens.OUT_DIR),
    'semantics': (semantics.write_all, semantics.OUT_DIR),
    'core': (core_fixtures.write_all, core_fixtures.OUT_DIR),
    'conv': (conv_fixtures.write_all, conv_fixtures.OUT_DIR),
}


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('sets', nargs='*', metavar='SET', help=f'fixture sets to write: {", ".join(SETS)} (default: all)')
    parser.add_argument('--out', type=pathlib.Path, help='write into this folder instead of the committed ones')
    args = parser.parse_args()
    unknown = [s for s in args.sets if s not in SETS]
    if unknown:
        parser.error(f'unknown set {", ".join(unknown)}; choose from {", ".join(SETS)}')
    for name in args.sets or list(SETS):
        write, committed = SETS[name]
        write(args.out or pathlib.Path(committed))


if __name__ == '__main__':
    main()
