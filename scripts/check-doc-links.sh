#!/bin/sh
# Check that the documentation's references resolve inside the repository:
#  1. every relative link and image in README.md and docs/*.md names an
#     existing file (relative to the page), and every #anchor an existing
#     heading of its page (GitHub's heading ids);
#  2. no source, recipe, script or doc names a design or reference note that
#     is not in the repository (a *.md name of the reference notes that does
#     not resolve from the mentioning file's folder or the top), or carries a
#     "(issue N)" tag: such facts belong in docs/ or are cited from the paper.
# Prints one line per problem as FILE:LINE: message; exit status 1 if any.
# Usage: scripts/check-doc-links.sh [TOP]   (default: this script's parent)
# Run by `make check` (tests/local.mk).
set -u
LC_ALL=C
export LC_ALL
top=${1:-$(cd "$(dirname "$0")/.." && pwd)}
cd "$top" || exit 2
if [ ! -f README.md ] || [ ! -d docs ]; then
    echo "check-doc-links: $top has no README.md and docs/" >&2
    exit 2
fi

problems=$(mktemp)
trap 'rm -f "$problems"' EXIT

# GitHub's heading ids of a Markdown file, one per line: the heading text
# lower-cased, punctuation and symbols dropped, each space a hyphen; a
# repeated id gets -1, -2, ...  Headings inside fenced code are skipped.
anchors() {
    awk '
    /^[ \t]*(```|~~~)/ { fenced = !fenced; next }
    fenced { next }
    /^#+[ \t]/ {
        s = $0
        sub(/^#+[ \t]+/, "", s); sub(/[ \t]+#*[ \t]*$/, "", s)
        s = tolower(s)
        gsub(/[][!"#$%&'\''()*+,.\/:;<=>?@\\^`{|}~]/, "", s)
        # common non-ASCII punctuation and symbols (UTF-8), dropped as GitHub does
        n = split("\342\200\224 \342\200\223 \303\227 \302\267 \342\206\222 \342\211\245 \342\211\244 \302\261 \342\200\231 \342\200\230 \342\200\234 \342\200\235 \342\200\246 \342\211\273 \342\200\226", sym, " ")
        for (i = 1; i <= n; i++) gsub(sym[i], "", s)
        gsub(/ /, "-", s)
        id = s
        if (seen[s]++) id = s "-" (seen[s] - 1)
        print id
    }' "$1"
}

# 1. links of README.md and docs/*.md: FILE<TAB>LINE<TAB>TARGET, code spans
# and fenced blocks left out
for page in README.md docs/*.md; do
    [ -f "$page" ] || continue
    dir=$(dirname "$page")
    awk '
    /^[ \t]*(```|~~~)/ { fenced = !fenced; next }
    fenced { next }
    {
        s = $0
        gsub(/`[^`]*`/, "", s)
        while (match(s, /\]\([^) \t]+\)/)) {
            print FILENAME "\t" FNR "\t" substr(s, RSTART + 2, RLENGTH - 3)
            s = substr(s, RSTART + RLENGTH)
        }
    }' "$page" |
        while IFS='	' read -r file line target; do
            case $target in
            http://* | https://* | mailto:* | ftp://*) continue ;;
            esac
            path=${target%%#*}
            anchor=
            case $target in *'#'*) anchor=${target#*#} ;; esac
            if [ -n "$path" ]; then
                case $path in
                /*) echo "$file:$line: absolute link '$target'" >>"$problems"; continue ;;
                esac
                if [ ! -e "$dir/$path" ]; then
                    echo "$file:$line: link to a missing file '$target'" >>"$problems"
                    continue
                fi
                dest="$dir/$path"
                [ "$dir" = . ] && dest=$path
            else
                dest=$file
            fi
            if [ -n "$anchor" ]; then
                case $dest in
                *.md)
                    anchors "$dest" | grep -qxF -- "$anchor" ||
                        echo "$file:$line: no heading '#$anchor' in $dest" >>"$problems"
                    ;;
                esac
            fi
        done
done

# 2. names of notes that are not in the repository, and issue tags, in every
# text file of the source tree (build trees and generated files left out)
find . \( -name .git -o -name '_build*' -o -name '_inst' -o -name autom4te.cache -o -name build-aux \) -prune -o \
    -type f \( -name '*.[ch]' -o -name '*.md' -o -name '*.mk' -o -name '*.am' -o -name '*.ac' \
    -o -name '*.in' -o -name '*.m4' -o -name '*.sh' -o -name '*.yaml' -o -name '*.yml' \
    -o -name '*.xml' -o -name '*.txt' \) -print |
    sed 's|^\./||' | sort |
    while read -r file; do
        case $file in
        Makefile.in | */Makefile.in | aclocal.m4 | m4/libtool.m4 | m4/lt*.m4) continue ;;
        esac
        grep -onE '[A-Za-z0-9_./-]*(DESIGN|algorithms|environments|published-results|architecture|style)\.md' \
            "$file" 2>/dev/null |
            while IFS=: read -r line name; do
                echo "$file:$line: names '$name', a design or reference note that is not part of" \
                    "the repository (restate the fact in docs/ or cite the paper)" >>"$problems"
            done
        grep -nE '\((issues? [0-9]|issue #[0-9])' "$file" 2>/dev/null |
            while IFS=: read -r line _; do
                echo "$file:$line: an \"(issue N)\" tag: say the fact or cite the paper" >>"$problems"
            done
    done

if [ -s "$problems" ]; then
    cat "$problems"
    echo "check-doc-links: $(wc -l <"$problems" | tr -d ' ') problem(s)" >&2
    exit 1
fi
echo "check-doc-links: every link and reference resolves"
