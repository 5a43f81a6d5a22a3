VIEWER = "{ viewer { role user { email } company { name } } }"


async def test_viewer(gql, make_company):
    tenant = await make_company("Acme")
    result = await gql(VIEWER, token=tenant.token)
    assert result == {
        "data": {
            "viewer": {
                "role": "ADMIN",
                "user": {"email": result["data"]["viewer"]["user"]["email"]},
                "company": {"name": "Acme"},
            }
        }
    }
