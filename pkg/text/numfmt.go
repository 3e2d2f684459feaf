package text

import (
	"strconv"
	"strings"
)

// FormatNumber renders n in one of the OOXML list number formats
// (ST_NumberFormat: "decimal", "chineseCounting", "upperRoman", ...), the
// names .docx uses and the .doc nfc codes map to. Formats it does not know
// fall back to decimal, as a reader would rather see "3" than nothing.
func FormatNumber(n int, format string) string {
	switch format {
	case "none":
		return ""
	case "bullet":
		return "•"
	case "decimalZero":
		if n >= 0 && n < 10 {
			return "0" + strconv.Itoa(n)
		}
	case "upperRoman":
		return roman(n, true)
	case "lowerRoman":
		return roman(n, false)
	case "upperLetter":
		return letters(n, 'A')
	case "lowerLetter":
		return letters(n, 'a')
	case "ordinal":
		return strconv.Itoa(n) + ordinalSuffix(n)
	case "chicago":
		// *, †, ‡, §, then each doubled, tripled, ...
		if n >= 1 {
			return strings.Repeat(string([]rune("*†‡§")[(n-1)%4]), (n-1)/4+1)
		}
	case "decimalFullWidth", "decimalFullWidth2":
		return strings.Map(func(r rune) rune { return r - '0' + '０' }, strconv.Itoa(n))
	case "decimalEnclosedCircle", "decimalEnclosedCircleChinese":
		if n >= 1 && n <= 20 {
			return string(rune('①' + n - 1))
		}
	case "decimalEnclosedParen":
		if n >= 1 && n <= 20 {
			return string(rune('⑴' + n - 1))
		}
	case "decimalEnclosedFullstop":
		if n >= 1 && n <= 20 {
			return string(rune('⒈' + n - 1))
		}
	case "ideographEnclosedCircle":
		if n >= 1 && n <= 10 {
			return string(rune('㈠' + n - 1))
		}
	case "chineseCounting", "chineseCountingThousand", "japaneseCounting", "taiwaneseCounting", "taiwaneseCountingThousand":
		return chineseCounting(n, []rune("零一二三四五六七八九"), []rune("十百千万"))
	case "chineseLegalSimplified":
		return chineseCounting(n, []rune("零壹贰叁肆伍陆柒捌玖"), []rune("拾佰仟万"))
	case "ideographLegalTraditional":
		return chineseCounting(n, []rune("零壹貳參肆伍陸柒捌玖"), []rune("拾佰仟萬"))
	case "ideographDigital", "taiwaneseDigital", "japaneseDigitalTenThousand":
		return strings.Map(func(r rune) rune { return []rune("〇一二三四五六七八九")[r-'0'] }, strconv.Itoa(max(n, 0)))
	case "ideographTraditional":
		if n >= 1 && n <= 10 {
			return string([]rune("甲乙丙丁戊己庚辛壬癸")[n-1])
		}
	case "ideographZodiac":
		if n >= 1 && n <= 12 {
			return string([]rune("子丑寅卯辰巳午未申酉戌亥")[n-1])
		}
	}
	return strconv.Itoa(n)
}

func roman(n int, upper bool) string {
	if n <= 0 || n >= 4000 {
		return strconv.Itoa(n)
	}
	vals := []int{1000, 900, 500, 400, 100, 90, 50, 40, 10, 9, 5, 4, 1}
	syms := []string{"M", "CM", "D", "CD", "C", "XC", "L", "XL", "X", "IX", "V", "IV", "I"}
	var b strings.Builder
	for i, v := range vals {
		for n >= v {
			b.WriteString(syms[i])
			n -= v
		}
	}
	if upper {
		return b.String()
	}
	return strings.ToLower(b.String())
}

// letters: A..Z, then AA..ZZ, AAA.. (Word repeats the letter).
func letters(n int, base rune) string {
	if n <= 0 {
		return strconv.Itoa(n)
	}
	return strings.Repeat(string(base+rune((n-1)%26)), (n-1)/26+1)
}

func ordinalSuffix(n int) string {
	switch {
	case n%100 >= 11 && n%100 <= 13:
		return "th"
	case n%10 == 1:
		return "st"
	case n%10 == 2:
		return "nd"
	case n%10 == 3:
		return "rd"
	}
	return "th"
}

// chineseCounting writes 1..99999 the way Word numbers Chinese lists:
// 十, 十一, 二十, 一百零一, 一千零二十.
func chineseCounting(n int, digits, units []rune) string {
	if n <= 0 || n > 99999 {
		return strconv.Itoa(n)
	}
	if n < 20 && n >= 10 {
		if n == 10 {
			return string(units[0])
		}
		return string(units[0]) + string(digits[n-10])
	}
	var b []rune
	pos := []int{10000, 1000, 100, 10, 1}
	unitOf := map[int]rune{10000: units[3], 1000: units[2], 100: units[1], 10: units[0]}
	zero := false
	started := false
	for _, p := range pos {
		d := n / p % 10
		if d == 0 {
			if started {
				zero = true
			}
			continue
		}
		if zero {
			b = append(b, digits[0])
			zero = false
		}
		b = append(b, digits[d])
		if p > 1 {
			b = append(b, unitOf[p])
		}
		started = true
	}
	return string(b)
}
