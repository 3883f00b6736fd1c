package yum

import (
	"fmt"
	"strings"
)

// RepoFile returns a dnf/yum .repo file (/etc/yum.repos.d/<id>.repo) for
// the release's directories under baseURL (https://repo.example.com/apps
// for .../el9/x86_64): packages and repomd.xml must be signed by the key at
// keyURL (gpgcheck, repo_gpgcheck), and the metadata expires after five
// minutes, so that clients see a publish soon (dnf's default is 48 hours).
func RepoFile(id, baseURL, release, keyURL string) []byte {
	base := strings.TrimRight(baseURL, "/")
	return fmt.Appendf(nil, `[%s]
name=%s %s $basearch
baseurl=%s/%s/$basearch
enabled=1
gpgcheck=1
repo_gpgcheck=1
gpgkey=%s
metadata_expire=5m
`, id, id, release, base, release, keyURL)
}
