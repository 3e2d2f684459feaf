module github.com/policytext/policytext

go 1.26.0

require (
	github.com/nguyenthenguyen/docx v0.0.0-20230621112118-9c8e795a11db
	github.com/richardlehane/mscfb v1.0.9
	github.com/sergi/go-diff v1.4.0
	golang.org/x/net v0.62.0
	golang.org/x/text v0.44.0
	golang.org/x/time v0.16.0
)

require (
	github.com/richardlehane/msoleps v1.0.3 // indirect
	github.com/stretchr/testify v1.12.1 // indirect
)
