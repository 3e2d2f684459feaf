package pipeline

import (
	"net"
	"net/http"
)

type httpServer struct{ l net.Listener }

func (s *httpServer) serve(h http.Handler) { (&http.Server{Handler: h}).Serve(s.l) }
