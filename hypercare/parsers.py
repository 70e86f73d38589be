"""Request parsers of the API (their own module: DRF's settings import them while DRF loads)."""

from rest_framework import exceptions, parsers

DEEP_JSON_MESSAGE = "JSON parse error - the body is nested too deeply."


class JSONParser(parsers.JSONParser):
    """DRF's JSON parser; a body nested too deeply for the decoder is a 400 like any malformed JSON,
    not a server error (the decoder raises RecursionError, which DRF does not catch)."""

    def parse(self, stream, media_type=None, parser_context=None):
        try:
            return super().parse(stream, media_type, parser_context)
        except RecursionError:
            raise exceptions.ParseError(DEEP_JSON_MESSAGE) from None
