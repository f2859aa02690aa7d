module benchhttp

go 1.23
