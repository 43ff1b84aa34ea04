#!/usr/bin/env bash
# Collect the interface strings into the Simplified Chinese catalog and compile it.
#   scripts/i18n.sh           update sunlit/locale/zh_Hans/LC_MESSAGES/django.po, then compile django.mo
#   scripts/i18n.sh --check   also fail if any message is untranslated or fuzzy (as the locale test does)
# Translate what it reports in django.po, run it again, and commit both django.po and django.mo
# (docs/architecture.md §13). Needs GNU gettext (msgmerge, msgfmt); fresh machines only need the .mo.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
export PATH="$HOME/.local/bin:$PATH"
po=sunlit/locale/zh_Hans/LC_MESSAGES/django.po
mo=${po%.po}.mo

uv run python manage.py makemessages -l zh_Hans --no-location \
  -i .venv -i var -i 'e2e/vendor' -i node_modules -i 'sunlit/static/vendor'
stats=$(msgfmt --check --statistics -o "$mo" "$po" 2>&1)
echo "$stats"
if [[ ${1:-} == --check ]] && grep -Eq 'untranslated|fuzzy' <<<"$stats"; then
  echo "Translate the messages above in $po (and remove their fuzzy flags), then run $0 again." >&2
  exit 1
fi
