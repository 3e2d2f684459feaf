package htmltext

import (
	"reflect"
	"testing"
)

func TestParagraphs(t *testing.T) {
	cases := []struct {
		in   string
		want []string
	}{
		{`<p>一</p><p><br></p><p>二</p>`, []string{"一", "", "二"}},
		{`<p>a<br>b</p>`, []string{"a\nb"}},
		{`<p>a<br/></p>`, []string{"a"}},
		{`<p>&ldquo;x&rdquo;&nbsp;&#12288;&amp;</p>`, []string{"“x”\u00a0\u3000&"}},
		{"<p>\t2024年3月28日</p>", []string{"\t2024年3月28日"}},
		{`<p> </p>`, []string{" "}},
		{`<div>head<p>inner</p>tail</div>`, []string{"head", "inner", "tail"}},
		{`<table><tr><td>序号</td><td>名称</td><td></td></tr><tr><th>1</th><td><b>研发</b>&amp;创新</td></tr></table>`, []string{"序号\t名称\t", "1\t研发&创新"}},
		{`<p>x<script>alert(1)</script><style>p{}</style>y</p>`, []string{"xy"}},
		{`<span>loose</span> text`, []string{"loose text"}},
		{``, nil},
		{`<p><span>第一条</span><strong>重要</strong></p>`, []string{"第一条重要"}},
	}
	for _, c := range cases {
		if got := Paragraphs(c.in); !reflect.DeepEqual(got, c.want) {
			t.Errorf("%q:\n got %q\nwant %q", c.in, got, c.want)
		}
	}
}
