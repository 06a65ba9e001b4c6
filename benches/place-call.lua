-- wrk script: every request is the page's example 1 (agent 1234 to 02072068888),
-- which the reference server answers with a 201.
wrk.method = "POST"
wrk.path = "/v0/a1b2c3d4e5/calls/"
wrk.headers["Content-Type"] = "application/json; version=6"
wrk.headers["Authorization"] = "Bearer bench-token"
wrk.body = '{"from":{"agentId":"1234"},"to":{"telephoneNumber":"02072068888"}}'
