"""Alibaba Cloud's RPC signature v1, checked on the worked example of its own documentation
(https://help.aliyun.com/document_detail/69009.html: AccessKey "testid" / "testsecret",
DescribeRegions): the adapter's signer and the local stand-in's checker, written separately,
both give the documented signature."""

from __future__ import annotations

import pytest

from functions.core.adapters.sms import percent_encode, rpc_signature
from functions.local.providers import documented_encode, documented_signature

DOCUMENTED_REQUEST = {
    "AccessKeyId": "testid",
    "Action": "DescribeRegions",
    "Format": "XML",
    "SignatureMethod": "HMAC-SHA1",
    "SignatureNonce": "3ee8c1b8-83d3-44af-a94f-4e0ad82fd6cf",
    "SignatureVersion": "1.0",
    "Timestamp": "2016-02-23T12:46:24Z",
    "Version": "2014-05-26",
}
DOCUMENTED_SIGNATURE = "OLeaidS1JvxuMvnyHOwuJ+uX5qY="


@pytest.mark.parametrize("sign", [rpc_signature, documented_signature])
def test_the_documented_example_gives_the_documented_signature(sign):
    assert sign("GET", DOCUMENTED_REQUEST, "testsecret") == DOCUMENTED_SIGNATURE


@pytest.mark.parametrize("encode", [percent_encode, documented_encode])
def test_percent_encoding_keeps_only_unreserved_characters(encode):
    assert encode("a b*c~d-e_f.g") == "a%20b%2Ac~d-e_f.g"
    assert encode("雨山") == "%E9%9B%A8%E5%B1%B1"
    assert encode('{"code":"YS-1"}') == "%7B%22code%22%3A%22YS-1%22%7D"


def test_chinese_parameters_sign_the_same_on_both_sides():
    request = {**DOCUMENTED_REQUEST, "SignName": "雨山区吹哨", "TemplateParam": '{"a":"路灯 坏了"}'}
    assert rpc_signature("POST", request, "k") == documented_signature("POST", request, "k")
