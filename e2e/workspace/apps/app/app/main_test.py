"""Runs with pytest from the workspace's `test` group."""

from app import main


def test_main_prints_the_library_lines(capsys):
    assert main.main() == 0
    out = capsys.readouterr().out.splitlines()
    assert out[1].startswith("greet-lib 0.2.0")
    assert "markerpkg: markerpkg 1.0.0 py3-none-any" in out
