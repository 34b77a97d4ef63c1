"""What capture records of versions: a generation's type and derivations, and the version a
use names (the process's own knowledge), read back from the spool."""

from __future__ import annotations

from provml import Workflow, read_spool


def test_generated_and_used_name_the_versions_the_process_knows(tmp_path):
    data = tmp_path / "data"
    data.mkdir()
    (data / "raw.csv").write_text("x\n")
    with Workflow("versions", run_id="v-1", spool_dir=tmp_path / "spool", capture_git=False) as wf:
        raw = wf.dataset("raw", data / "raw.csv", id="raw", type="raw_data", hash=True)
        with wf.task("clean", "curation", used=[raw, "by-id"]) as task:
            clean = wf.dataset("clean", id="clean", derived_from=[raw])
            task.generated(clean)
            other = wf.dataset("other", id="other")
            task.generated(other, derived_from=["by-id"])
        with wf.task("use", "preparation", used=[clean]):
            pass
    events = list(read_spool(tmp_path / "spool" / "v-1").events)
    used = [(e["entity"], e.get("version")) for e in events if e["kind"] == "used"]
    generated = {e["entity"]: e for e in events if e["kind"] == "generated"}
    raw_key = f"sha256-{raw.sha256[:32]}"
    assert used == [("raw", raw_key), ("by-id", None), ("clean", generated["clean"]["id"])]
    assert generated["clean"]["type"] == clean.type
    # By default the entity's own derived_from, at the version known when it was declared.
    assert generated["clean"]["derived_from"] == [{"entity": "raw", "version": raw_key}]
    assert generated["other"]["derived_from"] == [{"entity": "by-id", "version": None}]
    assert clean.version == generated["clean"]["id"] and other.version == generated["other"]["id"]
    # The hashed input's use carries its type and hash, so the version is described.
    (hashed_use,) = [e for e in events if e["kind"] == "used" and e["entity"] == "raw"]
    assert (hashed_use["type"], hashed_use["sha256"]) == ("raw_data", raw.sha256)
