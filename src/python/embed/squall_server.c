/* squall-server: a standalone binary that embeds CPython and serves a Squall
 * app from a file, with the same serving code as `squall run`:
 *
 *   squall-server path/to/app.py [--app NAME] [--host H] [--port P]
 *                 [--workers N] [any other `squall run` option]
 *
 * (options may also come before the path; the first *.py argument is it).
 *
 * The file's directory goes first on sys.path, the file is imported as a
 * module named after it and `squall.cli.main(["run", "<module>:<NAME>",
 * ...])` takes over (NAME defaults to "app"). The interpreter is the one this
 * binary was linked against; its prefix is found from the binary's location
 * (installed next to `python3` in the environment's bin/). */
#define PY_SSIZE_T_CLEAN
#include <Python.h>

#include <stdio.h>

/* Runs as __main__ with sys.argv = [<program>, <our arguments>...] (the
 * interpreter does not parse them: see main()). */
static const char bootstrap[] =
    "import os, sys\n"
    "def _squall_server(argv):\n"
    "    usage = 'usage: squall-server path/to/app.py [--app NAME] [squall run options]'\n"
    "    if not argv:\n"
    "        print(usage, file=sys.stderr)\n"
    "        return 2\n"
    "    if argv[0] in ('-h', '--help'):\n"
    "        print(usage)\n"
    "        print()\n"
    "        print('Serves the object named NAME (default: app) of the Python file with')\n"
    "        print('the embedded interpreter. Every other option is a `squall run` option')\n"
    "        print('(--host, --port, --workers, ...): see `squall-server APP.py --help`.')\n"
    "        return 0\n"
    "    # The app path may come after options: the first *.py argument.\n"
    "    at = next((k for k, a in enumerate(argv) if a.endswith('.py') and a[:1] != '-'), 0)\n"
    "    path, rest, name = argv[at], [], 'app'\n"
    "    argv = argv[:at] + argv[at + 1:]\n"
    "    i = 0\n"
    "    while i < len(argv):\n"
    "        if argv[i] == '--app' and i + 1 < len(argv):\n"
    "            name = argv[i + 1]; i += 2; continue\n"
    "        if argv[i].startswith('--app='):\n"
    "            name = argv[i][6:]; i += 1; continue\n"
    "        rest.append(argv[i]); i += 1\n"
    "    if not os.path.isfile(path) or not path.endswith('.py'):\n"
    "        print(f'squall-server: {path!r} is not a Python file', file=sys.stderr)\n"
    "        return 2\n"
    "    directory, module = os.path.split(os.path.abspath(path))\n"
    "    sys.path.insert(0, directory)\n"
    "    sys.argv = ['squall-server', 'run', f'{module[:-3]}:{name}', *rest]\n"
    "    from squall.cli import main\n"
    "    return main(sys.argv[1:])\n"
    "sys.exit(_squall_server(sys.argv[1:]))\n";

int main(int argc, char **argv) {
    PyStatus status;
    PyConfig config;
    PyConfig_InitPythonConfig(&config);

    /* Every argument is ours: without this, CPython would take options
     * placed before the app path (--help, -V, -X ...) as its own. */
    config.parse_argv = 0;
    /* argv as given (decoded with the locale, as python3 does). */
    status = PyConfig_SetBytesArgv(&config, argc, argv);
    if (PyStatus_Exception(status))
        goto fail;
    /* The bootstrap is ASCII, so the locale decoding is exact. */
    status = PyConfig_SetBytesString(&config, &config.run_command, bootstrap);
    if (PyStatus_Exception(status))
        goto fail;
    status = Py_InitializeFromConfig(&config);
    if (PyStatus_Exception(status))
        goto fail;
    PyConfig_Clear(&config);
    return Py_RunMain();

fail:
    PyConfig_Clear(&config);
    if (PyStatus_IsExit(status))
        return status.exitcode;
    Py_ExitStatusException(status);
}
