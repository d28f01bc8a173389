"""Handler signatures to route specs (include/squall/validator.h) and call plans."""

from __future__ import annotations

import asyncio
import dataclasses
import enum
import json
import uuid
from typing import Annotated, Any

import pytest

from squall import Body, Cookie, File, Form, Header, Path, Query, Request, UploadFile
from squall._endpoint import plan_endpoint


def params_by_name(spec: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {p["name"]: p for p in spec["parameters"]}


class Kind(enum.Enum):
    A = "a"
    B = "b"


@dataclasses.dataclass
class Item:
    name: str
    price: float
    tags: list[str] = dataclasses.field(default_factory=list)


@dataclasses.dataclass
class User:
    name: str


def test_sources_from_signature() -> None:
    async def handler(
        item_id: int,
        q: str | None = None,
        limit: int = 10,
        x_token: str = Header(),
        session: str | None = Cookie(default=None),
        kind: Kind = Kind.A,
    ) -> dict[str, Any]:
        return {}

    plan = plan_endpoint(handler, "/items/{item_id}")
    assert plan.is_async
    assert plan.spec is not None
    p = params_by_name(plan.spec)
    assert p["path:item_id"] == {
        "name": "path:item_id",
        "source": "path",
        "key": "item_id",
        "required": True,
        "schema": {"type": "integer"},
    }
    assert p["query:q"]["required"] is False and p["query:q"]["default"] is None
    assert p["query:q"]["schema"] == {"type": "string"}
    assert p["query:limit"]["default"] == 10 and p["query:limit"]["required"] is False
    assert p["header:x-token"]["key"] == "x-token" and p["header:x-token"]["required"] is True
    assert p["cookie:session"]["source"] == "cookie" and p["cookie:session"]["required"] is False
    # An Enum parameter is inlined: parameter schemas carry no $defs.
    assert p["query:kind"]["schema"] == {"enum": ["a", "b"], "type": "string"}
    assert p["query:kind"]["default"] == "a"
    assert plan.kwnames == ["item_id", "q", "limit", "x_token", "session", "kind"]
    assert plan.converters[:5] == [None] * 5
    kind_conv = plan.converters[5]
    assert kind_conv is not None and kind_conv("b") is Kind.B
    assert "body" not in plan.spec
    assert plan.body_kwarg is None and plan.request_kwarg is None
    json.loads(plan.spec_json or "")  # valid JSON text


def test_markers_aliases_and_constraints() -> None:
    def handler(
        page: Annotated[int, Query(ge=1, le=100, alias="p")] = 1,
        name: str = Query(min_length=2, max_length=8, pattern="^[a-z]+$"),
        user_agent: str = Header(alias="User-Agent"),
        raw_name: str = Header(convert_underscores=False),
        tags: list[str] = Query(default=[], separator=","),
        obj_id: uuid.UUID = Path(),
    ) -> None:
        pass

    plan = plan_endpoint(handler, "/objects/{obj_id}")
    assert not plan.is_async
    p = params_by_name(plan.spec or {})
    assert p["query:p"]["schema"] == {"type": "integer", "minimum": 1, "maximum": 100}
    assert p["query:p"]["default"] == 1
    assert p["query:name"]["schema"] == {
        "type": "string",
        "minLength": 2,
        "maxLength": 8,
        "pattern": "^[a-z]+$",
    }
    assert p["query:name"]["required"] is True
    assert p["header:user-agent"]["key"] == "user-agent"
    assert p["header:raw_name"]["key"] == "raw_name"
    assert p["query:tags"]["separator"] == "," and p["query:tags"]["default"] == []
    assert p["query:tags"]["schema"] == {"type": "array", "items": {"type": "string"}}
    assert p["path:obj_id"]["schema"] == {"type": "string", "format": "uuid"}
    conv = plan.converters[plan.kwnames.index("obj_id")]
    assert conv is not None and conv(str(uuid.UUID(int=5))) == uuid.UUID(int=5)


def test_structured_parameter_is_the_json_body() -> None:
    async def create(item: Item, dry_run: bool = False) -> Item:
        return item

    plan = plan_endpoint(create, "/items")
    assert plan.spec is not None
    body = plan.spec["body"]
    assert body["media"] == "json" and body["required"] is True
    assert body["schema"]["$ref"] == "#/$defs/Item"
    assert body["schema"]["$defs"]["Item"]["required"] == ["name", "price"]
    assert plan.body_kwarg == "item"
    assert plan.body_converter is not None
    assert plan.body_converter({"name": "x", "price": 2}) == Item("x", 2.0)
    assert params_by_name(plan.spec)["query:dry_run"]["schema"] == {"type": "boolean"}


def test_optional_body_is_not_required() -> None:
    def update(item: Item | None = None) -> None:
        pass

    plan = plan_endpoint(update, "/items")
    assert plan.spec is not None and plan.spec["body"]["required"] is False


def test_several_body_parameters_are_embedded_and_split() -> None:
    seen: dict[str, Any] = {}

    def handler(item: Item, user: User, importance: int = Body(ge=1)) -> None:
        seen.update(item=item, user=user, importance=importance)

    plan = plan_endpoint(handler, "/x")
    assert plan.spec is not None
    schema = plan.spec["body"]["schema"]
    assert schema["type"] == "object"
    assert schema["required"] == ["item", "user", "importance"]
    assert schema["properties"]["importance"] == {"type": "integer", "minimum": 1}
    assert plan.body_kwarg is not None
    plan.endpoint(
        **{plan.body_kwarg: {"item": {"name": "n", "price": 1.5}, "user": {"name": "u"}, "importance": 3}}
    )
    assert seen == {"item": Item("n", 1.5), "user": User("u"), "importance": 3}


def test_body_embed_single() -> None:
    def handler(item: Annotated[Item, Body(embed=True)]) -> None:
        pass

    plan = plan_endpoint(handler, "/x")
    assert plan.spec is not None
    assert list(plan.spec["body"]["schema"]["properties"]) == ["item"]


def test_form_and_file_fields() -> None:
    got: dict[str, Any] = {}

    async def upload(
        title: str = Form(max_length=50),
        count: int = Form(default=1),
        doc: UploadFile = File(),
        extras: list[UploadFile] | None = File(default=None),
    ) -> None:
        got.update(title=title, count=count, doc=doc, extras=extras)

    plan = plan_endpoint(upload, "/upload")
    assert plan.spec is not None
    body = plan.spec["body"]
    assert body["media"] == "multipart" and body["embed_fields"] is True
    props = body["schema"]["properties"]
    assert props["doc"] == {"type": "string", "format": "binary"}
    assert props["extras"] == {"type": "array", "items": {"type": "string", "format": "binary"}}
    assert props["title"] == {"type": "string", "maxLength": 50}
    assert body["schema"]["required"] == ["title", "doc"]
    assert plan.body_kwarg is not None
    asyncio.run(
        plan.endpoint(**{plan.body_kwarg: {"title": "t", "doc": {"filename": "a.txt", "content": b"abc"}}})
    )
    assert got["title"] == "t" and got["count"] == 1 and got["extras"] is None
    assert isinstance(got["doc"], UploadFile) and got["doc"].filename == "a.txt"
    assert got["doc"].file.closed, "uploads are closed when the handler returns"

    def login(username: str = Form(), password: str = Form()) -> None:
        pass

    form = plan_endpoint(login, "/login")
    assert form.spec is not None
    assert form.spec["body"]["media"] == "form"
    assert form.spec["body"]["schema"]["required"] == ["username", "password"]


def test_request_parameter() -> None:
    def by_annotation(req: Request, q: int = 0) -> None:
        pass

    def by_name(request):  # type: ignore[no-untyped-def]
        pass

    assert plan_endpoint(by_annotation, "/").request_kwarg == "req"
    plan = plan_endpoint(by_name, "/")
    assert plan.request_kwarg == "request" and plan.spec is None


def make_request(**kw: Any) -> Request:
    args: dict[str, Any] = {
        "method": "POST",
        "path": "/a/1",
        "query_string": "x=1&x=2&y=z",
        "headers": [("Host", "h"), ("X-Token", "t"), ("Cookie", "a=1; b=2")],
        "body": b"",
        "path_params": {"id": "1"},
        "client": ("127.0.0.1", 5000),
        "validated": None,
    }
    args.update(kw)
    return Request(**args)


def test_reserved_keyword_style() -> None:
    got: dict[str, Any] = {}

    def handler(path_params, query_params, headers, cookies, method, path):  # type: ignore[no-untyped-def]
        got.update(locals())

    plan = plan_endpoint(handler, "/a/{id}")
    assert plan.spec is None
    assert plan.request_kwarg is not None
    plan.endpoint(**{plan.request_kwarg: make_request()})
    assert got["path_params"] == {"id": "1"}
    assert got["query_params"] == {"x": "2", "y": "z"}
    assert got["headers"] == {"host": "h", "x-token": "t", "cookie": "a=1; b=2"}
    assert got["cookies"] == {"a": "1", "b": "2"}
    assert got["method"] == "POST" and got["path"] == "/a/1"


def test_reserved_body_without_schema_is_parsed_json_or_none() -> None:
    got: dict[str, Any] = {}

    async def handler(body, request: Request):  # type: ignore[no-untyped-def]
        got["body"] = body
        got["request"] = request

    plan = plan_endpoint(handler, "/")
    assert plan.request_kwarg == "request"
    req = make_request(body=b"")
    asyncio.run(plan.endpoint(request=req))
    assert got["body"] is None and got["request"] is req


def test_path_name_is_a_path_parameter_when_the_template_has_it() -> None:
    def handler(path: str) -> None:
        pass

    plan = plan_endpoint(handler, "/files/{path:path}")
    assert plan.spec is not None
    assert params_by_name(plan.spec)["path:path"]["source"] == "path"


def test_explicit_parameters_schema() -> None:
    got: dict[str, Any] = {}

    def handler(limit, request: Request):  # type: ignore[no-untyped-def]
        got["limit"] = limit

    schema = {
        "query": {
            "type": "object",
            "properties": {"limit": {"type": "integer"}, "q": {"type": "string"}},
            "required": ["limit"],
        },
        "headers": {"properties": {"X-API-Key": {"type": "string"}}, "required": ["X-API-Key"]},
    }
    plan = plan_endpoint(handler, "/", parameters_schema=schema)
    assert plan.spec is not None
    p = params_by_name(plan.spec)
    assert p["query:limit"]["required"] is True
    assert p["query:q"]["required"] is False
    assert p["header:x-api-key"]["key"] == "x-api-key"
    assert plan.kwnames == ["limit", "q", "x_api_key"]
    # q and x_api_key are not declared by the handler: the wrapper drops them.
    plan.endpoint(limit=5, q=None, x_api_key="k", request=make_request())
    assert got == {"limit": 5}


def test_fixture_style_parameters_schema() -> None:
    def handler(**kwargs: Any) -> None:
        pass

    schema = {
        "query": {
            "tags": {
                "type": "array",
                "items": {"type": "string"},
                "separator": ",",
                "annotation": "list[str]",
            },
            "n": {"type": "integer", "default": 3},
            "opt": {"type": "string", "optional": True},
        }
    }
    plan = plan_endpoint(handler, "/", parameters_schema=schema)
    p = params_by_name(plan.spec or {})
    assert p["query:tags"]["required"] is True and p["query:tags"]["separator"] == ","
    assert p["query:tags"]["schema"] == {"type": "array", "items": {"type": "string"}}
    assert p["query:n"]["required"] is False and p["query:n"]["default"] == 3
    assert p["query:opt"]["required"] is False


def test_explicit_body_schema() -> None:
    def handler(body: dict[str, Any]) -> None:
        pass

    schema = {"type": "object", "properties": {"a": {"type": "integer"}}, "required": ["a"]}
    plan = plan_endpoint(handler, "/", body_schema=schema)
    assert plan.spec == {"parameters": [], "body": {"media": "json", "required": True, "schema": schema}}
    assert plan.body_kwarg == "body"
    binary = {"type": "object", "properties": {"f": {"type": "string", "format": "binary"}}}
    assert plan_endpoint(handler, "/", body_schema=binary).spec["body"]["media"] == "multipart"  # type: ignore[index]


def test_bad_declarations_are_errors() -> None:
    def not_in_template(x: int = Path()) -> None:
        pass

    with pytest.raises(TypeError):
        plan_endpoint(not_in_template, "/items")

    def mixed(item: Item, name: str = Form()) -> None:
        pass

    with pytest.raises(TypeError):
        plan_endpoint(mixed, "/")


def test_form_model() -> None:
    def handler(data: Annotated[User, Form()]) -> None:
        pass

    plan = plan_endpoint(handler, "/")
    assert plan.spec is not None
    body = plan.spec["body"]
    assert body["media"] == "form" and body["embed_fields"] is True
    assert body["schema"]["properties"] == {"name": {"type": "string"}}
    assert plan.body_kwarg == "data"
    assert plan.body_converter is not None and plan.body_converter({"name": "x"}) == User("x")


def test_unannotated_path_parameter_takes_the_segment_type() -> None:
    def handler(item_id, ref):  # type: ignore[no-untyped-def]
        pass

    plan = plan_endpoint(handler, "/items/{item_id:int}/{ref:uuid}")
    p = params_by_name(plan.spec or {})
    assert p["path:item_id"]["schema"] == {"type": "integer"}
    assert p["path:ref"]["schema"] == {"type": "string", "format": "uuid"}
    conv = plan.converters[1]
    assert conv is not None and conv(str(uuid.UUID(int=1))) == uuid.UUID(int=1)


def test_files_in_parameters_schema_make_a_multipart_body() -> None:
    def handler(body: dict[str, Any]) -> None:
        pass

    schema = {
        "files": {"image": {"required": True, "content_type": ["image/png"]}, "extra": {"required": False}}
    }
    plan = plan_endpoint(handler, "/upload", parameters_schema=schema)
    assert plan.spec is not None
    body = plan.spec["body"]
    assert body["media"] == "multipart" and body["embed_fields"] is True
    assert body["schema"] == {
        "type": "object",
        "properties": {
            "image": {"type": "string", "format": "binary"},
            "extra": {"type": "string", "format": "binary"},
        },
    }
    # "required" and the content types are the files spec's checks (errors at ["files", name]).
    assert body["files"] == {
        "image": {"required": True, "content_types": ["image/png"]},
        "extra": {"required": False},
    }
    assert body["required"] is True
    assert plan.body_kwarg == "body"


def test_optional_type_without_default_is_required_as_in_fastapi() -> None:
    def handler(q: int | None, item: Item | None) -> None:
        pass

    plan = plan_endpoint(handler, "/")
    assert plan.spec is not None
    assert params_by_name(plan.spec)["query:q"]["required"] is True
    body = plan.spec["body"]
    assert body["required"] is True
    # ... and a JSON null body is valid for it.
    assert body["schema"]["anyOf"] == [{"$ref": "#/$defs/Item"}, {"type": "null"}]
    assert plan.body_converter is not None and plan.body_converter(None) is None


def test_unresolvable_return_annotation_is_not_an_error() -> None:
    def handler(q: int) -> NoSuchType:  # type: ignore[name-defined]  # noqa: F821
        pass

    plan = plan_endpoint(handler, "/")
    assert plan.kwnames == ["q"]

    def broken(q: NoSuchType) -> None:  # type: ignore[name-defined]  # noqa: F821
        pass

    with pytest.raises(TypeError, match="cannot resolve"):
        plan_endpoint(broken, "/")
