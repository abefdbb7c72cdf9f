"""``make mutants``: break each reliability property on purpose and show that its tests notice.

A reliability test that still passes when the property it guards is removed proves nothing. For each
mutation below this copies the working tree to a temporary folder, applies the one-line change there
(never here), runs the named tests against the copy on SQLite and PostgreSQL, and expects them to fail.
The same tests are first run unmutated and must pass. It prints a table and exits non-zero if a
baseline fails or a mutant survives.

Usage: ``python -m tests.mutants [NAME ...]`` (default: all).
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


@dataclass(frozen=True)
class Mutant:
    name: str
    property: str
    edits: tuple[tuple[str, str, str], ...]  # (file, exact text, replacement)
    tests: tuple[str, ...]


MUTANTS = (
    Mutant(
        "no-transaction",
        "one operation is one transaction (all or nothing)",
        (
            ("engine/store/db.py", 'cursor.execute("BEGIN IMMEDIATE" if write else "BEGIN")', "pass"),
            (
                "engine/store/db.py",
                "        self.cursor.execute(self._sql(sql), params or {})\n        return self.cursor",
                "        self.cursor.execute(self._sql(sql), params or {})\n"
                "        self.cursor.connection.commit()\n        return self.cursor",
            ),
            (
                "engine/store/db.py",
                "            self.cursor.executemany(self._sql(sql), rows)",
                "            self.cursor.executemany(self._sql(sql), rows)\n"
                "            self.cursor.connection.commit()",
            ),
        ),
        (
            "tests/integration/test_concurrency.py::test_worker_killed_mid_batch_loses_no_commit_and_leaves_nothing_half_written",
        ),
    ),
    Mutant(
        "no-lock-version-check",
        "a stale writer is stopped by the optimistic lock before it writes",
        (
            (
                "engine/runtime/instances.py",
                'timer_last_error = NULL "\n            "WHERE id = :id AND lock_version = :lv",',
                'timer_last_error = NULL "\n            "WHERE id = :id AND :lv = :lv",',
            ),
        ),
        (
            "tests/integration/test_concurrency.py::test_two_threads_completing_the_same_task_one_wins_one_gets_conflict",
            "tests/integration/test_concurrency.py::test_two_processes_completing_the_same_task_on_postgres_one_wins",
        ),
    ),
    Mutant(
        "no-skip-locked",
        "timer workers pass over cases other workers hold instead of waiting",
        (("engine/store/db.py", '" FOR UPDATE SKIP LOCKED"', '" FOR UPDATE"'),),
        ("tests/integration/test_concurrency.py::test_a_timer_worker_skips_a_case_another_worker_holds",),
    ),
    Mutant(
        "no-audit-unique-key",
        "a case's audit log can never hold two events with the same sequence number",
        (
            (
                "engine/migrations/versions/0001_initial_schema.py",
                "    sa.PrimaryKeyConstraint('id'),\n"
                "    sa.UniqueConstraint('instance_id', 'seq', name='uq_audit_chain')\n",
                "    sa.PrimaryKeyConstraint('id'),\n",
            ),
            ("engine/store/schema.py", '    UniqueConstraint("instance_id", "seq", name="uq_audit_chain"),\n', ""),
        ),
        (
            "tests/integration/test_concurrency.py::test_the_database_refuses_a_second_audit_row_with_the_same_case_and_seq",
        ),
    ),
    Mutant(
        "no-size-guard",
        "an oversized file is refused before it is parsed",
        (("engine/definitions/checks.py", "        if size > max_file_bytes\n    ]", "        if False\n    ]"),),
        (
            "tests/unit/test_bundle.py::test_oversized_bytes_never_reach_the_xml_parser",
            "tests/unit/test_bundle.py::test_fifty_megabyte_file_is_refused_quickly_without_being_read",
        ),
    ),
)


def _copy_tree(target: Path) -> None:
    listed = (
        subprocess.run(
            ["git", "ls-files", "-co", "--exclude-standard", "-z"], cwd=ROOT, capture_output=True, check=True
        )
        .stdout.decode()
        .split("\0")
    )
    for name in filter(None, listed):
        src = ROOT / name
        if src.is_file():
            dst = target / name
            dst.parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(src, dst)


def _run(tree: Path, tests: tuple[str, ...]) -> tuple[bool, float, str]:
    env = {**os.environ, "PYTHONPATH": str(tree)}
    started = time.perf_counter()
    done = subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-rf", "-p", "no:cacheprovider", "-n", "0", *tests],
        cwd=tree,
        env=env,
        capture_output=True,
        text=True,
        timeout=900,
    )
    return done.returncode == 0, time.perf_counter() - started, done.stdout


def main(names: list[str]) -> int:
    chosen = [m for m in MUTANTS if not names or m.name in names]
    rows, bad = [], False
    with tempfile.TemporaryDirectory(prefix="shequflow-mutants-") as tmp:
        base = Path(tmp) / "base"
        _copy_tree(base)
        for mutant in chosen:
            passed, t0, out0 = _run(base, mutant.tests)
            tree = Path(tmp) / mutant.name
            shutil.copytree(base, tree)
            for file, old, new in mutant.edits:
                path = tree / file
                text = path.read_text(encoding="utf-8")
                if text.count(old) != 1:
                    raise SystemExit(f"{mutant.name}: the text to mutate is not found exactly once in {file}")
                path.write_text(text.replace(old, new), encoding="utf-8")
            survived, t1, out1 = _run(tree, mutant.tests)  # -rf lists each failed test
            caught = passed and not survived
            bad = bad or not caught
            failed = [
                line.split(" ", 1)[1].split("::")[-1].split(" - ")[0]
                for line in out1.splitlines()
                if line.startswith("FAILED ")
            ]
            rows.append((mutant, passed, survived, t0 + t1, failed))
            if not passed:
                print(f"--- {mutant.name}: baseline failed\n{out0[-1500:]}")
            if survived:
                print(f"--- {mutant.name}: mutant survived\n{out1[-1500:]}")
    print(f"{'mutant':24} {'baseline':9} {'mutated':9} {'verdict':9} property / tests")
    for mutant, passed, survived, seconds, failed in rows:
        verdict = "caught" if passed and not survived else "SURVIVED" if survived else "BASELINE"
        print(
            f"{mutant.name:24} {'pass' if passed else 'FAIL':9} {'pass' if survived else 'fail':9} {verdict:9} "
            f"{mutant.property} ({seconds:.0f} s)"
        )
        for test in failed:
            print(f"{'':54}failed: {test}")
    return 1 if bad else 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
