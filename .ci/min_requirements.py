"""Write the lower bound of every dependency as an exact pin (for tox's oldestdeps factor).

Usage: python .ci/min_requirements.py pyproject.toml out.txt [extra ...]
"""

import re
import sys
import tomllib


def main(pyproject, out, *extras):
    with open(pyproject, "rb") as f:
        project = tomllib.load(f)["project"]
    requirements = list(project["dependencies"])
    for extra in extras:
        requirements += project["optional-dependencies"][extra]
    pins = []
    for req in requirements:
        match = re.match(r"^\s*([A-Za-z0-9_.\-\[\]]+)\s*>=\s*([^,;\s]+)", req)
        if match is None:
            raise SystemExit(f"dependency without a lower bound: {req!r}")
        pins.append(f"{match.group(1)}=={match.group(2)}")
    with open(out, "w") as f:
        f.write("\n".join(pins) + "\n")
    print("\n".join(pins))


if __name__ == "__main__":
    main(*sys.argv[1:])
