from hello.wsgi import application
