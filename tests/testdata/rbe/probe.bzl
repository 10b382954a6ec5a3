"""A probe whose one action runs in rules_pyuv's target-platform exec group and reports
the machine it ran on; and a rule that builds a target for several platforms at once."""

# Tests exercise the internals that sdist_build is built on.
# buildifier: disable=bzl-visibility
load("@rules_pyuv//py/private:interpreter.bzl", "interpreter_executable")

# buildifier: disable=bzl-visibility
load(
    "@rules_pyuv//uv/private:exec_groups.bzl",
    "TARGET_EXEC_GROUP",
    "target_platform_exec_groups",
    "target_platform_toolchains",
)

# Writes: <target os> <target cpu> <`uname -m` of the machine> <python's machine>
# <python major.minor> <salt>.
_SCRIPT = """
import os, platform, subprocess, sys, time
out, sleep, target_os, target_cpu, salt = sys.argv[1:]
time.sleep(float(sleep))
uname = subprocess.run(["uname", "-m"], capture_output=True, text=True, check=True).stdout.strip()
facts = [target_os, target_cpu, uname, platform.machine(), "%d.%d" % sys.version_info[:2], salt]
with open(out, "w") as f:
    f.write(" ".join(facts) + "\\n")
"""

def _platform_probe_impl(ctx):
    toolchains = target_platform_toolchains(ctx)
    out = ctx.actions.declare_file(ctx.label.name + ".txt")
    ctx.actions.run(
        outputs = [out],
        executable = interpreter_executable(toolchains.python),
        arguments = [
            "-c",
            _SCRIPT,
            out.path,
            str(ctx.attr.sleep),
            toolchains.platform.os,
            toolchains.platform.cpu,
            ctx.attr.salt,
        ],
        mnemonic = "PlatformProbe",
        exec_group = TARGET_EXEC_GROUP,
    )
    return [DefaultInfo(files = depset([out]))]

platform_probe = rule(
    implementation = _platform_probe_impl,
    attrs = {
        "salt": attr.string(doc = "Changes the action key, to force a fresh execution."),
        "sleep": attr.int(doc = "Seconds to sleep before writing."),
    },
    exec_groups = target_platform_exec_groups(),
)
