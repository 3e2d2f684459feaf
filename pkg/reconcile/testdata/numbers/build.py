#!/usr/bin/env python3
"""Builds the number cases of pkg/reconcile from the shared fixtures.

Each case is a catalogue policy: <case>.web.html is its policyText,
<case>.attachment.txt its attachment's truth text, with one or two injected
edits. cases.json states what the report must say (written here by hand, not
taken from the Go code); the one count ("numbers" of the truncated tail) is
counted by count_numbers below, independently of the Go code.

    python3 build.py [FIXTURES_DIR]   # default: the repository's ../shared/fixtures
"""
import json
import os
import re
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
FIX = sys.argv[1] if len(sys.argv) > 1 else os.path.join(HERE, "../../../../../shared/fixtures")

FIG = "0-9０-９〇零一二三四五六七八九十百千万亿两壹贰叁肆伍陆柒捌玖拾佰仟"
DIG = "0-9０-９"
NUMBER = re.compile(rf"(?:[{FIG}]|(?<=[{DIG}])[.．](?=[{DIG}])|(?<=[{DIG}])[,，](?=[{DIG}]{{3}}(?![{DIG}])))+[元%％‰倍年月日]?")


def count_numbers(text):
    """Numbers with a digit, a unit or two numerals (a lone Chinese numeral is not counted)."""
    return sum(1 for m in NUMBER.finditer(text) if len(m.group()) >= 2 or re.search(f"[{DIG}]", m.group()))


def policy_of(file_id):
    cat = json.load(open(os.path.join(FIX, "api/catalogue.json"), encoding="utf-8"))
    for p in cat["data"]["result"]:
        for f in p["files"]:
            if f["fileId"] == file_id:
                return p
    raise SystemExit("no policy with file " + file_id)


def replace_once(text, old, new):
    assert text.count(old) == 1, (old, text.count(old))
    return text.replace(old, new)


def build(name, file_id, about, expected, edit_attachment, edit_both=None, cut_web=None):
    p = policy_of(file_id)
    att = open(os.path.join(FIX, "truth", file_id + ".txt"), encoding="utf-8").read()
    web = p["policyText"]
    if edit_both:
        att, web = edit_both(att), edit_both(web)
    if edit_attachment:
        att = edit_attachment(att)
    if cut_web:
        web = cut_web(web)
    open(os.path.join(HERE, name + ".attachment.txt"), "w", encoding="utf-8").write(att)
    open(os.path.join(HERE, name + ".web.html"), "w", encoding="utf-8").write(web)
    return {"case": name, "policy_id": p["id"], "file_id": file_id, "about": about, **expected}


def changed(att, web):
    return {"type": "changed", "attachment": att, "web": web, "numeric": True}


cases = []
cases.append(build(
    "year-2027", "1754733181118873600",
    "the target year 到2027年 reads 到2034年 in the attachment; the character diff finds the shared 20",
    {"verdict": "differs", "differences": [changed("2034年", "2027年")]},
    lambda t: replace_once(t, "到2027年,全市摩托车", "到2034年,全市摩托车")))

CN_YEARS = lambda t: t.replace("(2023—2027年)", "(二〇二三—二〇二七年)")
cases.append(build(
    "chinese-year", "1748176599446880256",
    "both sides write the years in Chinese numerals (二〇二三—二〇二七年); the plan's own title in the attachment says 二〇三四",
    {"verdict": "differs", "differences": [changed("二〇三四年", "二〇二七年")]},
    lambda t: replace_once(t, "行动计划(二〇二三—二〇二七年)\n", "行动计划(二〇二三—二〇三四年)\n"),
    edit_both=CN_YEARS))

cases.append(build(
    "chinese-fifteen", "1762762506497851392",
    "公示时间不得少于十五日 reads 二十日 in the attachment (the diff shares 十)",
    {"verdict": "differs", "differences": [changed("二十日", "十五日")]},
    lambda t: replace_once(t, "不得少于十五日", "不得少于二十日")))

cases.append(build(
    "date-in-sentence", "1710843245282361344",
    "2019年1月1日至12月31日 reads 2019年3月1日至11月30日: the month alone is its number with 月; "
    "month and day both changed touch once widened and are one difference",
    {"verdict": "differs", "differences": [changed("3月", "1月"), changed("11月30日", "12月31日")]},
    lambda t: replace_once(t, "2019年1月1日至12月31日,困难企业", "2019年3月1日至11月30日,困难企业")))

cases.append(build(
    "amount-decimal", "1717094909194698752",
    "最高不超过15万元 reads 15.5万元 in the attachment (the diff finds only .5)",
    {"verdict": "differs", "differences": [changed("15.5万元", "15万元")]},
    lambda t: replace_once(t, "最高不超过15万元", "最高不超过15.5万元")))

CUT_AFTER = "25.强化政策宣传。"


def cut_web(html):
    i = html.index(CUT_AFTER) + len(CUT_AFTER)
    return html[:i] + "</p>"


truth = open(os.path.join(FIX, "truth", "1737386374261014528.txt"), encoding="utf-8").read()
tail = truth[truth.index(CUT_AFTER) + len(CUT_AFTER):].rstrip()
cases.append(build(
    "truncated-numbers", "1737386374261014528",
    "the web page stops inside a paragraph, after 25.强化政策宣传。; the missing tail holds amounts, "
    "percentages and dates but is not itself a number",
    {"verdict": "truncated", "truncated_side": "web",
     "differences": [{"type": "attachment_only", "attachment": tail, "web": "", "numeric": False,
                      "numbers": count_numbers(tail)}]},
    None, cut_web=cut_web))

with open(os.path.join(HERE, "cases.json"), "w", encoding="utf-8") as f:
    json.dump({"about": "Number cases of pkg/reconcile, made by build.py from the shared fixtures. Each difference "
               "lists the exact attachment and web strings the report must give, whether it is tagged numeric, "
               "and its numbers count (0: none).", "cases": cases}, f, ensure_ascii=False, indent=1)
    f.write("\n")
