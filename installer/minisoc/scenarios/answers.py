"""The student's answers: SITE_DIR/answers.yaml in each copy, one section per scenario id.

    sshguess:
      attacker: 192.168.56.1
      any-login: b

A missing file is no answers; a file that cannot be read is reported with the copy's grade (it never stops
the grading of the other copies).
"""

from __future__ import annotations

from pathlib import Path

import yaml

from minisoc.durable import write_atomic

ANSWERS_FILE = "answers.yaml"


def read_answers(site_dir: Path, scenario_id: str) -> tuple[dict[str, object], list[str]]:
    """(answers of this scenario, problems)."""
    path = site_dir / ANSWERS_FILE
    if not path.is_file():
        return {}, []
    try:
        document = yaml.safe_load(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, yaml.YAMLError) as error:
        return {}, [f"{path}: cannot be read as YAML ({str(error).splitlines()[0]}); hint: fix the file "
                    "and grade again"]
    if document is None:
        return {}, []
    section = document.get(scenario_id) if isinstance(document, dict) else None
    if section is None:
        return {}, []
    if not isinstance(section, dict):
        return {}, [f"{path}: {scenario_id}: expected question ids and answers (id: answer); hint: see "
                    "the scenario's brief"]
    return {str(key): value for key, value in section.items()}, []


def remove_answers(site_dir: Path, scenario_id: str) -> bool:
    """Drop this scenario's section from the copy's answers file; True when there was one."""
    path = site_dir / ANSWERS_FILE
    if not path.is_file():
        return False
    try:
        document = yaml.safe_load(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, yaml.YAMLError):
        return False
    if not isinstance(document, dict) or scenario_id not in document:
        return False
    del document[scenario_id]
    if document:
        write_atomic(path, yaml.safe_dump(document, sort_keys=False).encode("utf-8"), mode=0o644)
    else:
        path.unlink()
    return True
