package project

import (
	"reflect"
	"strings"
	"testing"

	"github.com/wsgipack/wsgipack/internal/testtool"
)

func write(t *testing.T, files map[string]string) string {
	t.Helper()
	dir := t.TempDir()
	testtool.WriteFiles(t, dir, files)
	return dir
}

func TestMetadata(t *testing.T) {
	for _, c := range []struct {
		name  string
		files map[string]string
		want  Metadata
	}{
		{"PEP 639 license, maintainers first", map[string]string{"pyproject.toml": `
[project]
name = "shop"
version = "2.0.0rc1"
description = "Shop front"
license = "MIT OR Apache-2.0"
authors = [{name = "No Mail"}, {name = "Ann", email = "ann@example.com"}]
maintainers = [{email = "only@example.com"}, {name = "Ops", email = "ops@example.com"}]
[project.urls]
Repository = "https://git.example.com/shop"
Homepage = "https://shop.example.com"
`}, Metadata{From: "pyproject.toml", Name: "shop", Version: "2.0.0rc1", Description: "Shop front", License: "MIT OR Apache-2.0",
			Maintainer: "Ops <ops@example.com>", Homepage: "https://shop.example.com"}},
		{"setup.cfg, pyproject.toml without [project]", map[string]string{
			"pyproject.toml": "[build-system]\nrequires = [\"setuptools\"]\n",
			"setup.cfg": "[metadata]\nname = legacy\nversion = 1.2\nsummary = Old app\nlicense = BSD-3-Clause\nmaintainer = M\nmaintainer_email = m@example.com\n" +
				"author = A\nauthor_email = a@example.com\nhome_page = https://legacy.example.com\n[options]\nname = not-this\n"},
			Metadata{From: "setup.cfg", Name: "legacy", Version: "1.2", Description: "Old app", License: "BSD-3-Clause",
				Maintainer: "M <m@example.com>", Homepage: "https://legacy.example.com"}},
		{"setup.cfg version from a file", map[string]string{"setup.cfg": "[metadata]\nname = x\nversion = file: VERSION\n"},
			Metadata{From: "setup.cfg", Name: "x", VersionNote: "setup.cfg's version comes from a file: set it here, or pass --version to 'wsgipack build'"}},
		{"setup.py only", map[string]string{"setup.py": `from setuptools import setup, find_packages

setup(
    name="mysite",
    version='3.1.4',
    description="Polls website for the intranet",  # one line
    author="Intranet Team",
    author_email="intranet@example.com",
    license="BSD-3-Clause",
    url="https://intranet.example.com",
    packages=find_packages(),
)
`}, Metadata{From: "setup.py", Name: "mysite", Version: "3.1.4", Description: "Polls website for the intranet", License: "BSD-3-Clause",
			Maintainer: "Intranet Team <intranet@example.com>", Homepage: "https://intranet.example.com"}},
		{"setup.py with a computed version, setup.cfg", map[string]string{
			"setup.py":  "from setuptools import setup\nfrom shop import __version__\nsetup(\n    name='shop',\n    version=__version__,\n    author='A', author_email='a@example.com',\n)\n",
			"setup.cfg": "[metadata]\ndescription = Shop front\n"},
			Metadata{From: "setup.cfg", Name: "shop", Description: "Shop front",
				VersionNote: "setup.py's version is __version__, which init does not run: set it here, or pass --version to 'wsgipack build'"}},
		{"dynamic version from setuptools' attr", map[string]string{
			"pyproject.toml":       "[project]\nname = \"shop\"\ndynamic = [\"version\"]\ndescription = \"Shop front\"\n[tool.setuptools.dynamic]\nversion = {attr = \"shop.__version__\"}\n",
			"src/shop/__init__.py": "__version__ = \"4.2.0\"\n"},
			Metadata{From: "pyproject.toml", Name: "shop", Version: "4.2.0", Description: "Shop front"}},
		{"dynamic version from hatch's path", map[string]string{
			"pyproject.toml":    "[project]\nname = \"shop\"\ndynamic = [\"version\"]\n[tool.hatch.version]\npath = \"shop/__about__.py\"\n",
			"shop/__about__.py": "__version__ = '4.3.0.dev1'\n"},
			Metadata{From: "pyproject.toml", Name: "shop", Version: "4.3.0.dev1"}},
		{"dynamic version from git tags", map[string]string{
			"pyproject.toml": "[project]\nname = \"shop\"\ndynamic = [\"version\"]\n[tool.setuptools_scm]\n"},
			Metadata{From: "pyproject.toml", Name: "shop", VersionNote: "pyproject.toml's version is dynamic: set it here, or pass --version to 'wsgipack build' (CI passes its tag)"}},
		{"nothing", map[string]string{"README": "hi"}, Metadata{}},
	} {
		t.Run(c.name, func(t *testing.T) {
			m, err := readMetadata(write(t, c.files))
			if err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(m, c.want) {
				t.Errorf("got  %+v\nwant %+v", m, c.want)
			}
		})
	}
	if _, err := readMetadata(write(t, map[string]string{"pyproject.toml": "[project\nname="})); err == nil {
		t.Error("a broken pyproject.toml was read")
	}
}

func TestEntryPoint(t *testing.T) {
	for _, c := range []struct {
		name      string
		files     map[string]string
		wsgi      string
		framework string
	}{
		{"module-level app before a factory", map[string]string{
			"web/__init__.py": "from flask import Flask\n\ndef create_app():\n    return Flask(__name__)\n",
			"wsgi.py":         "from flask import Flask\napp = Flask(__name__)\n"}, "wsgi:app", "flask"},
		{"factory in a package", map[string]string{"shop/__init__.py": "import flask\n\ndef make_app(config=None):\n    app = flask.Flask(__name__)\n    return app\n"},
			"shop:make_app()", "flask"},
		{"annotated app", map[string]string{"src/site/app.py": "from flask import Flask\nserver: Flask = Flask(__name__)\n"}, "site.app:server", "flask"},
		{"plain WSGI", map[string]string{"service.py": "def application(environ, start_response):\n    return []\n"}, "service:application", ""},
		{"plain factory", map[string]string{"src/inventory/__init__.py": "", "src/inventory/web.py": "def create_app():\n    def application(environ, start_response):\n        return []\n    return application\n"},
			"inventory.web:create_app()", ""},
		{"wsgi.py makes the app with the factory", map[string]string{
			"shop/__init__.py": "from flask import Flask\n\ndef create_app(config=None):\n    return Flask(__name__)\n",
			"wsgi.py":          "from shop import create_app\n\napp = create_app()\n"}, "wsgi:app", "flask"},
		{"wsgi.py with application = factory(args)", map[string]string{
			"src/shop/__init__.py": "import flask\n\ndef make_app(env):\n    return flask.Flask(__name__)\n",
			"src/shop/wsgi.py":     "import os\nfrom shop import make_app\napplication = make_app(os.environ.get(\"SHOP_ENV\", \"production\"))\n"}, "shop.wsgi:application", "flask"},
		{"app.py with a factory and the app it makes", map[string]string{
			"app.py": "from flask import Flask\n\ndef create_app():\n    return Flask(__name__)\n\napp = create_app()\n"}, "app:app", "flask"},
		{"app.py of a command line is not the entry point", map[string]string{
			"shop/__init__.py": "from flask import Flask\n\ndef create_app():\n    return Flask(__name__)\n",
			"app.py":           "import typer\napp = typer.Typer()\n"}, "shop:create_app()", "flask"},
		{"an assignment elsewhere is not the entry point", map[string]string{
			"shop/__init__.py": "from flask import Flask\n\ndef create_app():\n    return Flask(__name__)\n",
			"shop/tasks.py":    "from celery import Celery\napp = Celery(\"shop\")\n"}, "shop:create_app()", "flask"},
		{"namespace package in src", map[string]string{"src/company/shop/__init__.py": "from flask import Flask\napp = Flask(__name__)\n"}, "company.shop:app", "flask"},
		{"src/ of JavaScript beside the app", map[string]string{"app.py": "from flask import Flask\napp = Flask(__name__)\n",
			"src/main.js": "", "src/components/App.vue": ""}, "app:app", "flask"},
		{"tests are not the app", map[string]string{"tests/test_app.py": "from flask import Flask\napp = Flask(__name__)\n",
			"conftest.py": "from flask import Flask\napp = Flask(__name__)\n"}, "", ""},
		{"venvs are not the app", map[string]string{"env/pyvenv.cfg": "version = 3.11.2\n",
			"env/lib/python3.11/site-packages/flask/app.py": "from flask import Flask\napp = Flask(__name__)\n"}, "", ""},
	} {
		t.Run(c.name, func(t *testing.T) {
			info, err := Detect(write(t, c.files))
			if err != nil {
				t.Fatal(err)
			}
			if info.WSGI != c.wsgi || info.Framework != c.framework {
				t.Errorf("wsgi %q framework %q, want %q %q", info.WSGI, info.Framework, c.wsgi, c.framework)
			}
		})
	}
}

func TestDjango(t *testing.T) {
	manage := "import os\nos.environ.setdefault(\"DJANGO_SETTINGS_MODULE\", \"shop.settings.prod\")\n"
	for _, c := range []struct {
		name, settings string
		secret         string
		static         map[string]string
		hooks          int
		note           string
	}{
		{"key from the environment, absolute STATIC_ROOT",
			"import os\nSECRET_KEY = os.environ.get(\"SHOP_KEY\", \"x\")\nALLOWED_HOSTS = [\"shop.example.com\"]\nSTATIC_URL = \"/assets/\"\nSTATIC_ROOT = \"/srv/shop/static\"\n",
			"SHOP_KEY", map[string]string{}, 2, "STATIC_ROOT is \"/srv/shop/static\": map its URL (/assets)"},
		{"os.path.join STATIC_ROOT", "import os\nSTATIC_ROOT = os.path.join(BASE_DIR, 'public', 'static')\n",
			"DJANGO_SECRET_KEY", map[string]string{"/static": "app/public/static"}, 2, ""},
		{"no STATIC_ROOT", "SECRET_KEY = 'dev'\n", "DJANGO_SECRET_KEY", map[string]string{}, 1, ""},
		{"MEDIA_ROOT beside STATIC_ROOT", "STATIC_ROOT = BASE_DIR / 'staticfiles'\nMEDIA_URL = 'uploads/'\nMEDIA_ROOT = BASE_DIR / 'media'  # uploads\n",
			"DJANGO_SECRET_KEY", map[string]string{"/static": "app/staticfiles", "/uploads": "app/media"}, 2, ""},
		{"MEDIA_ROOT outside the project", "MEDIA_ROOT = '/srv/media'\n",
			"DJANGO_SECRET_KEY", map[string]string{}, 1, "MEDIA_ROOT is '/srv/media': map its URL (/media)"},
		{"MEDIA_ROOT in a directory from the environment", "import os\nDATA_DIR = Path(os.environ['DATA'])\nMEDIA_ROOT = DATA_DIR / 'media'\n",
			"DJANGO_SECRET_KEY", map[string]string{}, 1, "MEDIA_ROOT is DATA_DIR / 'media': map its URL (/media)"},
	} {
		t.Run(c.name, func(t *testing.T) {
			info, err := Detect(write(t, map[string]string{"src/manage.py": manage, "src/shop/__init__.py": "", "src/shop/wsgi.py": "application = None\n",
				"src/shop/settings/__init__.py": "", "src/shop/settings/prod.py": c.settings}))
			if err != nil {
				t.Fatal(err)
			}
			if info.Source != "src" || info.WSGI != "shop.wsgi:application" || info.Environment["DJANGO_SETTINGS_MODULE"] != "shop.settings.prod" {
				t.Errorf("source %q wsgi %q environment %v", info.Source, info.WSGI, info.Environment)
			}
			if len(info.Secrets) != 1 || info.Secrets[0] != c.secret || !reflect.DeepEqual(info.Static, c.static) || len(info.PostInstall) != c.hooks {
				t.Errorf("secrets %q static %v hooks %q", info.Secrets, info.Static, info.PostInstall)
			}
			if c.note != "" && (len(info.Notes) == 0 || !strings.Contains(info.Notes[len(info.Notes)-1], c.note)) {
				t.Errorf("notes %q lack %q", info.Notes, c.note)
			}
		})
	}
}

// TestDjangoSettingsPackage: a settings package as cookiecutter-django
// lays it out: manage.py defaults to the developers' settings, wsgi.py to
// the servers'; the settings star-import a base module that defines
// BASE_DIR three levels up, STATIC_ROOT, MEDIA_ROOT and a development key.
func TestDjangoSettingsPackage(t *testing.T) {
	base := `from pathlib import Path
BASE_DIR = Path(__file__).resolve(strict=True).parent.parent.parent
SECRET_KEY = "dev-only"
DEBUG = True
DATABASES = {"default": {"ENGINE": "django.db.backends.postgresql", "NAME": "shop"}}
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
]
STATIC_URL = "/static/"
APPS_DIR = BASE_DIR / "shop"
STATIC_ROOT = str(BASE_DIR / "staticfiles")
MEDIA_ROOT = str(APPS_DIR / "media")
`
	files := map[string]string{
		"manage.py":                     "import os\nos.environ.setdefault('DJANGO_SETTINGS_MODULE', 'config.settings.local')\n",
		"config/__init__.py":            "",
		"config/wsgi.py":                "import os\nos.environ.setdefault('DJANGO_SETTINGS_MODULE', 'config.settings.production')\napplication = None\n",
		"config/settings/__init__.py":   "",
		"config/settings/base.py":       base,
		"config/settings/local.py":      "from .base import *  # noqa\nDEBUG = True\n",
		"config/settings/production.py": "from .base import *  # noqa\nfrom .base import env\nSECRET_KEY = env(\"DJANGO_SECRET_KEY\")\nDEBUG = False\nALLOWED_HOSTS = env.list(\"DJANGO_ALLOWED_HOSTS\")\nSTATIC_URL = \"/assets/\"\n",
	}
	info, err := Detect(write(t, files))
	if err != nil {
		t.Fatal(err)
	}
	if info.WSGI != "config.wsgi:application" || info.Environment["DJANGO_SETTINGS_MODULE"] != "config.settings.production" {
		t.Errorf("wsgi %q, environment %v: want wsgi.py's settings", info.WSGI, info.Environment)
	}
	if want := map[string]string{"/assets": "app/staticfiles", "/media": "app/shop/media"}; !reflect.DeepEqual(info.Static, want) {
		t.Errorf("static %v, want %v", info.Static, want)
	}
	if want := []string{"app/staticfiles", "app/shop/media"}; !reflect.DeepEqual(info.Writable, want) {
		t.Errorf("writable %q, want %q", info.Writable, want)
	}
	if len(info.Secrets) != 1 || info.Secrets[0] != "DJANGO_SECRET_KEY" || info.SecretTODO != "" || len(info.PostInstall) != 2 {
		t.Errorf("secrets %q (TODO %q), hooks %q", info.Secrets, info.SecretTODO, info.PostInstall)
	}
	if len(info.Notes) != 0 || !strings.Contains(info.EnvironmentNote, "config/wsgi.py's default config.settings.production, not manage.py's config.settings.local") {
		t.Errorf("notes %q, environment note %q: want the choice of settings explained, nothing to do", info.Notes, info.EnvironmentNote)
	}

	// Served with the developers' settings: their key, DEBUG and the
	// database in the release are each a TODO.
	files["config/wsgi.py"] = "import os\nos.environ.setdefault('DJANGO_SETTINGS_MODULE', 'config.settings.local')\napplication = None\n"
	files["config/settings/base.py"] = strings.Replace(base, `"ENGINE": "django.db.backends.postgresql", "NAME": "shop"`,
		"\n        'ENGINE': 'django.db.backends.sqlite3',\n        'NAME': os.path.join(BASE_DIR, 'db.sqlite3'),  # local\n    ", 1)
	info, err = Detect(write(t, files))
	if err != nil {
		t.Fatal(err)
	}
	if info.Environment["DJANGO_SETTINGS_MODULE"] != "config.settings.local" || info.SecretTODO == "" {
		t.Errorf("environment %v, secret TODO %q", info.Environment, info.SecretTODO)
	}
	notes := strings.Join(info.Notes, "\n")
	for _, want := range []string{"DEBUG is True in config.settings.local", "the SQLite database of config.settings.local is os.path.join(BASE_DIR, 'db.sqlite3') (app/db.sqlite3), inside the release"} {
		if !strings.Contains(notes, want) {
			t.Errorf("notes %q lack %q", info.Notes, want)
		}
	}
}

// TestDjangoBaseDir: BASE_DIR as startproject writes it (pathlib, and
// os.path before Django 3.1) is where STATIC_ROOT is looked for.
func TestDjangoBaseDir(t *testing.T) {
	for _, c := range []struct{ name, baseDir, static string }{
		{"pathlib", "Path(__file__).resolve().parent.parent", "app/static"},
		{"os.path", "os.path.dirname(os.path.dirname(os.path.abspath(__file__)))", "app/static"},
		{"the project package", "Path(__file__).resolve().parent", "app/site/static"},
		{"parents[1]", "Path(__file__).resolve().parents[1]", "app/static"},
	} {
		t.Run(c.name, func(t *testing.T) {
			info, err := Detect(write(t, map[string]string{
				"manage.py":        "import os\nos.environ.setdefault('DJANGO_SETTINGS_MODULE', 'site.settings')\n",
				"site/__init__.py": "", "site/wsgi.py": "application = None\n",
				"site/settings.py": "import os\nfrom pathlib import Path\nBASE_DIR = " + c.baseDir + "\nSTATIC_ROOT = os.path.join(BASE_DIR, 'static')\n",
			}))
			if err != nil {
				t.Fatal(err)
			}
			if info.Static["/static"] != c.static {
				t.Errorf("static %v, want /static: %s", info.Static, c.static)
			}
		})
	}
}

// TestFlaskInstance: Flask's instance folder is beside the top-level
// package or module (flask.helpers.find_package), whatever module of the
// package makes the app.
func TestFlaskInstance(t *testing.T) {
	for _, c := range []struct {
		name  string
		files map[string]string
		wsgi  string
	}{
		{"module in a package", map[string]string{"src/shop/__init__.py": "", "src/shop/app.py": "from flask import Flask\napp = Flask(__name__, instance_relative_config=True)\n"}, "shop.app:app"},
		{"factory in a subpackage", map[string]string{"shop/__init__.py": "", "shop/web/__init__.py": "from flask import Flask\ndef create_app():\n    app = Flask(__name__, instance_relative_config=True)\n    return app\n"}, "shop.web:create_app()"},
		{"module", map[string]string{"app.py": "import os\nfrom flask import Flask\napp = Flask(__name__)\nDB = os.path.join(app.instance_path, 'db.sqlite')\n"}, "app:app"},
		{"Flask-SQLAlchemy's relative SQLite URI in the package's config", map[string]string{
			"shop/__init__.py": "from flask import Flask\ndef create_app():\n    app = Flask(__name__)\n    app.config.from_object('shop.config')\n    return app\n",
			"shop/config.py":   "import os\nSQLALCHEMY_DATABASE_URI = os.environ.get('DATABASE_URL', 'sqlite:///shop.db')\n"}, "shop:create_app()"},
	} {
		t.Run(c.name, func(t *testing.T) {
			info, err := Detect(write(t, c.files))
			if err != nil {
				t.Fatal(err)
			}
			if info.WSGI != c.wsgi || !reflect.DeepEqual(info.Writable, []string{"app/instance"}) {
				t.Errorf("wsgi %q writable %q, want %q [app/instance]", info.WSGI, info.Writable, c.wsgi)
			}
		})
	}
}

// TestFactoryArguments: a factory the entry script cannot call without
// arguments is a note on app.wsgi; one whose parameters have defaults,
// or are *args and **kwargs, is not.
// TestFlaskNoInstance: an absolute SQLite path, and the tests' own
// database, make no instance folder writable.
func TestFlaskNoInstance(t *testing.T) {
	info, err := Detect(write(t, map[string]string{
		"shop/__init__.py": "from flask import Flask\ndef create_app():\n    return Flask(__name__)\n",
		"shop/config.py":   "SQLALCHEMY_DATABASE_URI = 'sqlite:////var/lib/shop/shop.db'\n",
		"tests/test_db.py": "URI = 'sqlite:///test.db'\n"}))
	if err != nil {
		t.Fatal(err)
	}
	if len(info.Writable) != 0 {
		t.Errorf("writable %q: the app writes no instance folder", info.Writable)
	}
}

func TestFactoryArguments(t *testing.T) {
	for _, c := range []struct{ def, want string }{
		{"def create_app(config):", "create_app(config) in shop/__init__.py needs arguments"},
		{"def create_app(config_name: str, *, testing: bool):", "create_app(config_name, testing) in shop/__init__.py needs arguments"},
		{"def create_app(\n    config: dict[str, int] = {\"a\": 1},\n    *args,\n    **kwargs,\n) -> Flask:", ""},
		{"def create_app(test_config=None):", ""},
		{"def create_app():", ""},
	} {
		info, err := Detect(write(t, map[string]string{"shop/__init__.py": "from flask import Flask\n\n" + c.def + "\n    return Flask(__name__)\n"}))
		if err != nil {
			t.Fatal(err)
		}
		if info.WSGI != "shop:create_app()" || (c.want == "") != (info.WSGINote == "") || !strings.Contains(info.WSGINote, c.want) {
			t.Errorf("%s: wsgi %q, note %q; want %q", c.def, info.WSGI, info.WSGINote, c.want)
		}
		if c.want != "" && !strings.Contains(info.WSGINote, "set app.wsgi to wsgi:app") {
			t.Errorf("%s: note %q does not say what to do", c.def, info.WSGINote)
		}
	}
}

// TestFlaskStatic: Flask's static folder, where Flask(...) puts it.
func TestFlaskStatic(t *testing.T) {
	for _, c := range []struct {
		flask  string
		static map[string]string
	}{
		{"Flask(__name__)", map[string]string{"/static": "app/shop/static"}},
		{"Flask(__name__, static_folder='assets')", map[string]string{"/assets": "app/shop/assets"}},
		{"Flask(__name__, static_folder=\"assets\", static_url_path=\"/s/\")", map[string]string{"/s": "app/shop/assets"}},
		{"Flask(__name__, static_url_path='')", map[string]string{}},
		{"Flask(__name__, static_folder='../../etc')", map[string]string{}},
	} {
		info, err := Detect(write(t, map[string]string{
			"shop/__init__.py":      "from flask import Flask\napp = " + c.flask + "\n",
			"shop/static/a.css":     "",
			"shop/assets/b.css":     "",
			"shop/templates/i.html": ""}))
		if err != nil {
			t.Fatal(err)
		}
		if !reflect.DeepEqual(info.Static, c.static) {
			t.Errorf("%s: static %v, want %v", c.flask, info.Static, c.static)
		}
	}
}

// TestFlaskSecret: the variable a Flask app reads SECRET_KEY from is the
// secret, wherever in the package it is read.
func TestFlaskSecret(t *testing.T) {
	for _, c := range []struct{ config, secret, suggested string }{
		{"SECRET_KEY = os.environ['SHOP_SECRET_KEY']\n", "SHOP_SECRET_KEY", ""},
		{"def setup(app):\n    app.config[\"SECRET_KEY\"] = os.getenv(\"SECRET_KEY\", \"dev\")\n", "SECRET_KEY", ""},
		{"def setup(app):\n    app.config.update(SECRET_KEY=os.environ.get('APP_KEY'))\n", "APP_KEY", ""},
		{"SECRET_KEY = 'dev'\n", "", "FLASK_SECRET_KEY"},
	} {
		info, err := Detect(write(t, map[string]string{
			"shop/__init__.py": "from flask import Flask\ndef create_app():\n    app = Flask(__name__)\n    app.config.from_object('shop.config')\n    return app\n",
			"shop/config.py":   "import os\n" + c.config}))
		if err != nil {
			t.Fatal(err)
		}
		if strings.Join(info.Secrets, " ") != c.secret || strings.Join(info.SuggestedSecrets, " ") != c.suggested {
			t.Errorf("%q: secrets %q, suggested %q; want %q, %q", c.config, info.Secrets, info.SuggestedSecrets, c.secret, c.suggested)
		}
		// The same in a config.py beside the package (Flask's mega-tutorial).
		info, err = Detect(write(t, map[string]string{
			"app/__init__.py": "from flask import Flask\nfrom config import Config\napp = Flask(__name__)\napp.config.from_object(Config)\n",
			"config.py":       "import os\n" + c.config,
			"microblog.py":    "from app import app\n"}))
		if err != nil {
			t.Fatal(err)
		}
		if info.WSGI != "app:app" || strings.Join(info.Secrets, " ") != c.secret || strings.Join(info.SuggestedSecrets, " ") != c.suggested {
			t.Errorf("%q: secrets %q, suggested %q; want %q, %q", c.config, info.Secrets, info.SuggestedSecrets, c.secret, c.suggested)
		}
	}
}

// TestFlaskMigrate: an app that uses Flask-Migrate gets a TODO with the
// hook that upgrades its database, its migrations directory in the release.
func TestFlaskMigrate(t *testing.T) {
	info, err := Detect(write(t, map[string]string{
		"shop/__init__.py":       "from flask import Flask\nfrom flask_migrate import Migrate\ndef create_app():\n    app = Flask(__name__)\n    Migrate(app)\n    return app\n",
		"migrations/env.py":      "",
		"migrations/alembic.ini": ""}))
	if err != nil {
		t.Fatal(err)
	}
	want := "add under hooks.post_install: FLASK_APP='shop:create_app()' flask db upgrade --directory app/migrations"
	if len(info.Notes) != 1 || !strings.Contains(info.Notes[0], want) {
		t.Errorf("notes %q, want %q", info.Notes, want)
	}
}

// TestAppInVenv: an app that CI installed into the venv too is a TODO.
func TestAppInVenv(t *testing.T) {
	info, err := Detect(write(t, map[string]string{
		"src/shop/__init__.py": "from flask import Flask\ndef create_app():\n    return Flask(__name__)\n",
		".venv/pyvenv.cfg":     "version = 3.11.2\n",
		".venv/lib/python3.11/site-packages/shop/__init__.py":  "from flask import Flask\ndef create_app():\n    return Flask(__name__)\n",
		".venv/lib/python3.11/site-packages/flask/__init__.py": ""}))
	if err != nil {
		t.Fatal(err)
	}
	if info.WSGI != "shop:create_app()" || len(info.Notes) != 1 || !strings.Contains(info.Notes[0], "the venv has shop installed (pip install . in CI?)") {
		t.Errorf("wsgi %q, notes %q", info.WSGI, info.Notes)
	}
}

// TestFlaskSQLiteInRelease: a SQLite database made from the code's
// directory is a TODO; one in the instance folder is not.
func TestFlaskSQLiteInRelease(t *testing.T) {
	for _, c := range []struct{ config, note string }{
		{"basedir = os.path.abspath(os.path.dirname(__file__))\nclass Config:\n    SQLALCHEMY_DATABASE_URI = os.environ.get('DATABASE_URL') or 'sqlite:///' + os.path.join(basedir, 'app.db')\n",
			"the app's SQLite database is made from the code's directory (SQLALCHEMY_DATABASE_URI = os.environ.get('DATABASE_URL') or 'sqlite:///' + os.path.join(basedir, 'app.db'))"},
		{"def uri(app):\n    return 'sqlite:///' + os.path.join(app.instance_path, 'app.db')\n", ""},
		{"SQLALCHEMY_DATABASE_URI = os.environ['DATABASE_URL']\n", ""},
	} {
		info, err := Detect(write(t, map[string]string{
			"app/__init__.py": "from flask import Flask\nfrom config import Config\napp = Flask(__name__)\napp.config.from_object(Config)\n",
			"config.py":       "import os\n" + c.config}))
		if err != nil {
			t.Fatal(err)
		}
		notes := strings.Join(info.Notes, "\n")
		if (c.note == "") != (notes == "") || !strings.Contains(notes, c.note) {
			t.Errorf("%q: notes %q, want %q", c.config, info.Notes, c.note)
		}
	}
}
