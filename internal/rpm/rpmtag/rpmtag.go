// Package rpmtag holds the numbers of the RPM v4 format that both the rpm
// writer (internal/rpm) and reader (internal/inspect) use: header
// and signature tags (rpm's lib/rpmtag.h), dependency flags (RPMSENSE_*)
// and file flags (RPMFILE_*).
package rpmtag

// Header tags.
const (
	I18NTable         = 100
	Name              = 1000
	Version           = 1001
	Release           = 1002
	Epoch             = 1003
	Summary           = 1004
	Description       = 1005
	BuildTime         = 1006
	BuildHost         = 1007
	Size              = 1009
	Distribution      = 1010
	Vendor            = 1011
	License           = 1014
	Packager          = 1015
	Group             = 1016
	URL               = 1020
	OS                = 1021
	Arch              = 1022
	PreIn             = 1023
	PostIn            = 1024
	PreUn             = 1025
	PostUn            = 1026
	OldFileNames      = 1027
	FileSizes         = 1028
	FileModes         = 1030
	FileRDevs         = 1033
	FileMTimes        = 1034
	FileDigests       = 1035
	FileLinkTos       = 1036
	FileFlags         = 1037
	FileUserName      = 1039
	FileGroupName     = 1040
	SourceRPM         = 1044
	FileVerifyFlags   = 1045
	ProvideName       = 1047
	RequireFlags      = 1048
	RequireName       = 1049
	RequireVersion    = 1050
	ChangelogTime     = 1080
	ChangelogName     = 1081
	ChangelogText     = 1082
	PreInProg         = 1085
	PostInProg        = 1086
	PreUnProg         = 1087
	PostUnProg        = 1088
	FileDevices       = 1095
	FileInodes        = 1096
	FileLangs         = 1097
	ProvideFlags      = 1112
	ProvideVersion    = 1113
	DirIndexes        = 1116
	BaseNames         = 1117
	DirNames          = 1118
	PayloadFormat     = 1124
	PayloadCompressor = 1125
	PayloadFlags      = 1126
	PreTrans          = 1151
	PostTrans         = 1152
	PreTransProg      = 1153
	PostTransProg     = 1154
	LongFileSizes     = 5008
	LongSize          = 5009
	FileDigestAlgo    = 5011
	PayloadDigest     = 5092
	PayloadDigestAlgo = 5093
)

// Signature tags.
const (
	SigDSA           = 267 // OpenPGP signature of the header: DSA, EdDSA
	SigRSA           = 268 // OpenPGP signature of the header: RSA
	SigSHA1          = 269
	SigLongSize      = 270
	SigSHA256        = 273
	SigSize          = 1000 // header + payload size
	SigPGP           = 1002 // v3 RSA signature of header + payload
	SigMD5           = 1004
	SigGPG           = 1005 // v3 DSA/EdDSA signature of header + payload
	SigPGP5          = 1006
	SigPayloadSize   = 1007
	SigReservedSpace = 1008 // zeros a signature can later take the place of
)

// Dependency flags (RPMSENSE_*).
const (
	SenseLess      = 1 << 1
	SenseGreater   = 1 << 2
	SenseEqual     = 1 << 3
	SensePosttrans = 1 << 5
	SensePretrans  = 1 << 7
	SenseInterp    = 1 << 8
	SensePre       = 1 << 9
	SensePost      = 1 << 10
	SensePreun     = 1 << 11
	SensePostun    = 1 << 12
	SenseRpmlib    = 1 << 24
)

// File flags (RPMFILE_*).
const (
	FileConfig    = 1 << 0
	FileDoc       = 1 << 1
	FileMissingOK = 1 << 3
	FileNoReplace = 1 << 4
	FileGhost     = 1 << 6
	FileLicense   = 1 << 7
)

// File verify flags (RPMVERIFY_*): what rpm -V checks of a file.
const (
	VerifyDigest = 1 << 0
	VerifySize   = 1 << 1
	VerifyLinkTo = 1 << 2
	VerifyMTime  = 1 << 5
)
