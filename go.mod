module github.com/wsgipack/wsgipack

go 1.26.8

require (
	github.com/BurntSushi/toml v1.6.0
	github.com/DataDog/zstd v1.5.7
	github.com/Masterminds/semver/v3 v3.5.0
	github.com/ProtonMail/go-crypto v1.5.2
	github.com/cavaliergopher/cpio v1.0.1
	github.com/cavaliergopher/rpm v1.2.0
	github.com/gobwas/glob v0.2.3
	github.com/klauspost/compress v1.18.6
	github.com/spf13/cobra v1.10.2
	github.com/ulikunitz/xz v0.5.15
	gopkg.in/yaml.v3 v3.0.1
)

require (
	github.com/cloudflare/circl v1.6.3 // indirect
	github.com/inconshreveable/mousetrap v1.1.0 // indirect
	github.com/kr/pretty v0.3.1 // indirect
	github.com/rogpeppe/go-internal v1.14.1 // indirect
	github.com/spf13/pflag v1.0.10 // indirect
	golang.org/x/crypto v0.52.0 // indirect
	golang.org/x/sys v0.45.0 // indirect
	gopkg.in/check.v1 v1.0.0-20201130134442-10cb98267c6c // indirect
)
