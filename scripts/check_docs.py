#!/usr/bin/env python3
"""Check that the README and docs/ do not lie about the repository (plain Python, no Odoo).

    python3 scripts/check_docs.py              # the self-test, then README.md and docs/*.md
    python3 scripts/check_docs.py --self-test  # only the self-test: each kind of lie is reported
    python3 scripts/check_docs.py --root DIR   # the documentation of another checkout

What it checks, in README.md and docs/*.md:
- every relative link and image (`[text](path#anchor)`) resolves: the file exists, and its
  #anchor is a heading of that Markdown file, by GitHub's anchor rules (lower case, punctuation
  but `-` and `_` dropped, spaces to `-`, `-1`, `-2`... for repeated headings);
- every repository path named in a code block or in backticks (`scripts/...`, `bench/...`,
  `models/...`, `deploy/...`...) exists; `bench/run.sh` is given only measurements it knows;
  `VAR=value scripts/x.sh` names a variable the script (or `scripts/lib.sh`) reads;
- every test named in Odoo's syntax (`/crm_ameyo:TestClass.test_method`) is in tests/;
- every `python3 -m simulator SUBCOMMAND --option` names a subcommand and options of
  `simulator/cli.py`;
- every model in backticks named `ameyo.*` is a model of the addon (`_name = '...'`), every
  `ameyo.model.member` names a field or method the addon defines, and every snake_case name in
  backticks (`talk_seconds`, `pop_lead_id`, `_ameyo_update_state`) is a field or a method of
  the addon or appears in its code: renaming a field without its documentation fails here.
And every image and relative link of the Apps page (static/description/index.html) exists.
Prints one line per problem (file:line: what) and exits 1 when there is any.
"""

import argparse
import pathlib
import re
import sys
import tempfile

CODE_DIRS = (
    'models',
    'controllers',
    'wizards',
    'report',
    'tools',
    'views',
    'security',
    'data',
    'static',
    'migrations',
    'simulator',
    'scripts',
    'bench',
    'deploy',
    'tests',
    'i18n',
)
CODE_SUFFIXES = {
    '.py',
    '.xml',
    '.js',
    '.csv',
    '.sql',
    '.sh',
    '.conf',
    '.env',
    '.scss',
    '.toml',
    '.cfg',
}
# repository paths named in the documentation start with one of these folders (or are these files)
PATH_RE = re.compile(
    r'(?<![\w/.-])((?:%s|docs|\.ci)/[\w./<>*-]*|__manifest__\.py|const\.py'
    r'|requirements-[\w-]+\.txt|\.ruff\.toml|\.pylintrc-mandatory)' % '|'.join(CODE_DIRS)
)
LINK_RE = re.compile(r'!?\[((?:[^\[\]]|\[[^\]]*\])*)\]\(([^)\s]+)(?:\s+"[^"]*")?\)')
SNAKE_RE = re.compile(r'_?[a-z][a-z0-9]*(?:_[a-z0-9]+)+')
TEST_TAG_RE = re.compile(r'/crm_ameyo:(\w+)(?:\.(\w+))?')
MODEL_MEMBER_RE = re.compile(r'(?<![\w.])(ameyo(?:\.[a-z_]+)*)\.(_?[a-z][a-z0-9_]*)')
# names of Odoo itself (its options) that the documentation cites in backticks
ODOO_NAMES = {'db_maxconn'}


def github_anchor(heading):
    """The anchor GitHub gives a heading: its text without markup, lower case, no punctuation."""
    text = LINK_RE.sub(r'\1', heading)
    text = re.sub(r'<[^>]+>', '', text).strip().lower()
    text = re.sub(r'[^\w\- ]', '', text)
    return text.replace(' ', '-')


def markdown_lines(text):
    """(line number, line, in a code block) for each line of a Markdown text."""
    fence = None
    for number, line in enumerate(text.split('\n'), 1):
        stripped = line.lstrip()
        if fence is None and stripped.startswith(('```', '~~~')):
            fence = stripped[:3]
            yield number, line, True
            continue
        if fence is not None and stripped.startswith(fence):
            fence = None
            yield number, line, True
            continue
        yield number, line, fence is not None


def anchors_of(path):
    anchors, seen = set(), {}
    for _number, line, in_code in markdown_lines(path.read_text(encoding='utf-8')):
        match = re.match(r'#{1,6} +(.+?) *#* *$', line)
        if in_code or not match:
            continue
        anchor = github_anchor(match.group(1))
        count = seen.get(anchor, 0)
        seen[anchor] = count + 1
        anchors.add(anchor if count == 0 else f'{anchor}-{count}')
    return anchors


class Repository:
    """What the documentation may name: the addon's files, models, fields, methods, commands."""

    def __init__(self, root):
        self.root = root
        self.models, self.members, self.words, self.test_classes = set(), set(), set(), set()
        for path in sorted(root.rglob('*')):
            relative = path.relative_to(root).parts
            if not path.is_file() or relative[0] not in (*CODE_DIRS, '__manifest__.py', 'const.py'):
                continue
            if path.suffix not in CODE_SUFFIXES:
                continue
            text = path.read_text(encoding='utf-8', errors='replace')
            self.words.update(re.findall(r'\w+', text))
            if path.suffix == '.py':
                self.models.update(re.findall(r"^\s+_name = ['\"]([\w.]+)['\"]", text, re.M))
                self.members.update(re.findall(r'^\s+(\w+) = fields\.', text, re.M))
                self.members.update(re.findall(r'^\s+def (\w+)\(', text, re.M))
                if relative[0] == 'tests':
                    self.test_classes.update(re.findall(r'^class (\w+)\(', text, re.M))
        cli = root / 'simulator' / 'cli.py'
        self.simulator = {}
        if cli.exists():
            text = cli.read_text(encoding='utf-8')
            variables = dict(re.findall(r"(\w+) = \w+\.add_parser\('([\w-]+)'", text))
            for variable, command in variables.items():
                options = re.findall(r"\b%s\.add_argument\('(--[\w-]+)'" % variable, text)
                self.simulator[command] = set(options)
        bench = root / 'bench' / 'run.sh'
        self.bench_modes = set()
        if bench.exists():
            match = re.search(r'case "\$mode" in ([\w|]+)\)', bench.read_text(encoding='utf-8'))
            self.bench_modes = set(match.group(1).split('|')) | {'all'} if match else set()

    def path_exists(self, name):
        name = name.rstrip('.,;:')
        name = re.split(r'::|[<*]', name)[0]  # x.py::Class, migrations/<version>/, static/src/**
        return (self.root / name).exists()

    def variable_read_by(self, variable, script):
        scripts = self.root / 'scripts'
        for path in (self.root / script, scripts / 'lib.sh', scripts / 'bootstrap_odoo.sh'):
            pattern = r'\b%s\b' % re.escape(variable)
            if path.exists() and re.search(pattern, path.read_text(encoding='utf-8')):
                return True
        return False


def check_command(repo, command, where, problems):
    """A shell command of a code block or a backtick span: its script, variables and arguments."""
    words = command.split()
    while words and re.fullmatch(r'[A-Z_][A-Z0-9_]*=\S*', words[0]):
        variable = words.pop(0).split('=')[0]
        if (
            words
            and PATH_RE.fullmatch(words[0])
            and repo.path_exists(words[0])
            and not repo.variable_read_by(variable, words[0])
        ):
            problems.append(f'{where}: {words[0]} does not read the variable {variable}')
    if not words:
        return
    if words[0] == 'bench/run.sh' and repo.bench_modes:
        for mode in words[1:]:
            if mode.startswith('#'):
                break
            if re.fullmatch(r'[a-z]+', mode) and mode not in repo.bench_modes:
                known = ', '.join(sorted(repo.bench_modes))
                problems.append(f'{where}: bench/run.sh has no measurement {mode!r} ({known})')
    if words[1:3] == ['-m', 'simulator'] and words[0] in ('python3', 'python') and len(words) > 3:
        subcommand = words[3]
        if subcommand not in repo.simulator:
            problems.append(f'{where}: python3 -m simulator has no subcommand {subcommand!r}')
            return
        for word in words[4:]:
            if word.startswith('#'):
                break
            option = word.split('=')[0].strip('[]')
            if option.startswith('--') and option not in repo.simulator[subcommand]:
                problems.append(f'{where}: python3 -m simulator {subcommand}: no option {option}')


def check_names(repo, span, where, problems):
    """The repository paths and test classes a backtick span (or code line) names."""
    for name in PATH_RE.findall(span):
        if not repo.path_exists(name):
            problems.append(f'{where}: no {name.rstrip(".,;:")} in the repository')
    for test_class, method in TEST_TAG_RE.findall(span):
        if test_class not in repo.test_classes:
            problems.append(f'{where}: no test class {test_class} in tests/')
        elif method and method not in repo.members:
            problems.append(f'{where}: no test method {method} in tests/')


def check_identifiers(repo, span, where, problems):
    for model, member in MODEL_MEMBER_RE.findall(span):
        full = f'{model}.{member}'
        if full in repo.models:
            continue
        if model in repo.models:
            if member not in repo.members:
                problems.append(f'{where}: {model} has no field or method {member}')
        elif re.fullmatch(r'ameyo(\.[a-z_]+)+', full):
            problems.append(f'{where}: no model {full} in the addon')
    if SNAKE_RE.fullmatch(span) and span not in repo.members | repo.words | ODOO_NAMES:
        problems.append(f'{where}: {span} is no field or method of the addon, nor in its code')


def check_file(repo, path, problems):
    text = path.read_text(encoding='utf-8')
    name = path.relative_to(repo.root)
    command = ''
    for number, line, in_code in markdown_lines(text):
        where = f'{name}:{number}'
        if in_code:
            if line.lstrip().startswith(('```', '~~~')):
                continue
            check_names(repo, line.split(' #')[0], where, problems)
            command += line.rstrip('\\').split(' #')[0] + ' '
            if not line.rstrip().endswith('\\'):
                check_command(repo, command.strip(), where, problems)
                command = ''
            continue
        for span in re.findall(r'`([^`]+)`', line):
            check_names(repo, span, where, problems)
            check_command(repo, span, where, problems)
            check_identifiers(repo, span, where, problems)
        for _text, target in LINK_RE.findall(re.sub(r'`[^`]*`', '', line)):
            if re.match(r'[a-z][a-z0-9+.-]*:', target):  # https:, mailto:
                continue
            file_part, _, anchor = target.partition('#')
            linked = (path.parent / file_part).resolve() if file_part else path
            if not linked.exists():
                problems.append(f'{where}: the link {target} leads nowhere (no {file_part})')
            elif anchor and linked.suffix == '.md' and anchor not in anchors_of(linked):
                problems.append(f'{where}: the link {target}: no #{anchor} in {linked.name}')


def check_html(path, problems):
    """The images and relative links of an HTML page (the Apps page) exist."""
    for number, line in enumerate(path.read_text(encoding='utf-8').split('\n'), 1):
        for target in re.findall(r'\b(?:src|href)="([^"#]+)', line):
            external = re.match(r'[a-z][a-z0-9+.-]*:|/', target)
            if not external and not (path.parent / target).exists():
                problems.append(f'{path.name}:{number}: {target} does not exist')


def check(root):
    repo = Repository(root)
    problems = []
    for path in [root / 'README.md', *sorted((root / 'docs').glob('*.md'))]:
        if path.exists():
            check_file(repo, path, problems)
    apps_page = root / 'static' / 'description' / 'index.html'
    if apps_page.exists():
        check_html(apps_page, problems)
    return problems


SELF_TEST_FILES = {
    'simulator/cli.py': "    commands = parser.add_subparsers()\n"
    "    throw = commands.add_parser('throw')\n"
    "    throw.add_argument('--phone')\n",
    'scripts/run.sh': 'HTTP_PORT="${HTTP_PORT:-8069}"\n',
    'bench/run.sh': 'case "$mode" in pop|browser) ;; esac\n',
    'models/call.py': "class Call:\n    _name = 'ameyo.call'\n"
    "    talk_seconds = fields.Integer()\n",
    'tests/test_call.py': 'class TestCall(Case):\n    def test_pop(self):\n        pass\n',
    'docs/guide.md': '# Guide\n\n## The call\'s banner (`x`)\n\n## Setup\n\n## Setup\n',
    'static/description/index.html': '<img src="../../docs/guide.md"/><a href="https://x.org"/>',
}
SELF_TEST_GOOD = (
    '# Title\n\nSee [the banner](docs/guide.md#the-calls-banner-x),\n'
    '[setup](docs/guide.md#setup-1), [top](#title) and ![a picture](docs/guide.md).\n'
    '`HTTP_PORT=8070 scripts/run.sh`, `talk_seconds`, `ameyo.call.talk_seconds`.\n'
    '`TEST_TAGS=/crm_ameyo:TestCall.test_pop,/crm_ameyo:TestCall`\n\n'
    '```bash\nbench/run.sh pop browser   # two\n'
    'python3 -m simulator throw \\\n    --phone 98   # a call\n```\n'
)
SELF_TEST_LIES = {
    'a link to a missing file': '[x](docs/missing.md)',
    'a link to a missing heading': '[x](docs/guide.md#no-such-heading)',
    'a link to a missing heading of the same file': '[x](#nowhere)',
    'a missing image': '![x](static/none.png)',
    'a missing script': '`scripts/nothing.sh`',
    'a missing script in a code block': '```bash\nscripts/nothing.sh --flag\n```',
    'a variable the script does not read': '`NO_SUCH=1 scripts/run.sh`',
    'an unknown measurement': '```\nbench/run.sh pop scale\n```',
    'an unknown simulator subcommand': '`python3 -m simulator serve`',
    'an unknown simulator option': '```\npython3 -m simulator throw \\\n    --user agent1\n```',
    'a missing model': '`ameyo.nothing`',
    'a missing field of a model': '`ameyo.call.wrap_seconds`',
    'a renamed field': '`wrap_seconds`',
    'a missing test class': '`/crm_ameyo:TestNothing`',
    'a missing test method': '`/crm_ameyo:TestCall.test_nothing`',
}


def self_test():
    """Each kind of lie in a small repository of its own is reported; the truthful README is not."""
    failures = []
    with tempfile.TemporaryDirectory() as folder:
        root = pathlib.Path(folder)
        for name, content in SELF_TEST_FILES.items():
            (root / name).parent.mkdir(parents=True, exist_ok=True)
            (root / name).write_text(content, encoding='utf-8')
        (root / 'README.md').write_text(SELF_TEST_GOOD, encoding='utf-8')
        problems = check(root)
        if problems:
            failures.append('a truthful README was refused: ' + '; '.join(problems))
        apps_page = root / 'static' / 'description' / 'index.html'
        apps_page.write_text('<img src="none.png"/>\n', encoding='utf-8')
        if not check(root):
            failures.append('a missing image of the Apps page was not reported')
        apps_page.write_text(SELF_TEST_FILES['static/description/index.html'], encoding='utf-8')
        for lie, markdown in SELF_TEST_LIES.items():
            readme = SELF_TEST_GOOD + '\n' + markdown + '\n'
            (root / 'README.md').write_text(readme, encoding='utf-8')
            if not check(root):
                failures.append(f'{lie} ({markdown!r}) was not reported')
    for failure in failures:
        print(f'check_docs.py self-test: {failure}')
    return not failures


def main():
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument('--self-test', action='store_true', help='only the self-test')
    parser.add_argument(
        '--root',
        type=pathlib.Path,
        help='the checkout to check (default: this one, after the self-test)',
    )
    args = parser.parse_args()
    if args.self_test:
        return 0 if self_test() else 1
    ok = True
    if args.root is None:
        ok = self_test()
    root = (args.root or pathlib.Path(__file__).resolve().parent.parent).resolve()
    problems = check(root)
    for problem in problems:
        print(problem)
    print(f'check_docs.py: {len(problems)} problem(s) in the documentation of {root}')
    return 0 if ok and not problems else 1


if __name__ == '__main__':
    sys.exit(main())
