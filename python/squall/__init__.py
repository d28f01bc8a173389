"""Squall: a Python web framework whose whole HTTP engine is written in C.

from squall import Squall

app = Squall()

@app.get("/items/{item_id:int}")
async def read_item(item_id: int, q: str | None = None):
    return {"item_id": item_id, "q": q}
"""

from . import status
from ._app import Squall
from ._cors import CORS
from ._datastructures import URL, Address, Headers, QueryParams
from ._exceptions import HTTPException, RequestValidationError
from ._file_response import FileResponse
from ._params import Body, Cookie, File, Form, Header, Path, Query
from ._request import Request
from ._response_check import ResponseValidationError
from ._responses import (
    HTMLResponse,
    JSONResponse,
    PlainTextResponse,
    RedirectResponse,
    Response,
    StreamingResponse,
)
from ._routing import Router
from ._schema import schema_of
from ._upload import UploadFile

__version__ = "0.1.0"

__all__ = [
    "CORS",
    "URL",
    "Address",
    "Body",
    "Cookie",
    "File",
    "FileResponse",
    "Form",
    "HTMLResponse",
    "HTTPException",
    "Header",
    "Headers",
    "JSONResponse",
    "Path",
    "PlainTextResponse",
    "Query",
    "QueryParams",
    "RedirectResponse",
    "Request",
    "RequestValidationError",
    "Response",
    "ResponseValidationError",
    "Router",
    "Squall",
    "StreamingResponse",
    "UploadFile",
    "schema_of",
    "status",
]
