// A real OpenID Connect provider for the single sign-on tests, on 127.0.0.1 only.
// Configured by the test through the environment:
//   OIDC_TEST_PORT    port to listen on
//   OIDC_TEST_CONFIG  JSON {client: {client_id, client_secret, redirect_uris, post_logout_redirect_uris},
//                           accounts: {"<login>": {email, email_verified, name}}}
// The development login page (devInteractions) takes any password; the login is the account id.
import Provider from "oidc-provider";

const port = Number(process.env.OIDC_TEST_PORT);
const { client, accounts } = JSON.parse(process.env.OIDC_TEST_CONFIG);
const issuer = `http://127.0.0.1:${port}`;

const provider = new Provider(issuer, {
  clients: [
    {
      ...client,
      grant_types: ["authorization_code"],
      response_types: ["code"],
      token_endpoint_auth_method: "client_secret_post",
    },
  ],
  claims: { openid: ["sub"], email: ["email", "email_verified"], profile: ["name"] },
  features: { devInteractions: { enabled: true }, rpInitiatedLogout: { enabled: true } },
  cookies: { keys: ["hypercare-test-only-cookie-key"] },
  async findAccount(ctx, id) {
    const account = accounts[id];
    if (!account) return undefined;
    return { accountId: id, claims: async () => ({ sub: id, ...account }) };
  },
  // A first-party client: no consent screen, as with an enterprise identity provider.
  async loadExistingGrant(ctx) {
    const grantId = ctx.oidc.result?.consent?.grantId || ctx.oidc.session.grantIdFor(ctx.oidc.client.clientId);
    if (grantId) return ctx.oidc.provider.Grant.find(grantId);
    const grant = new ctx.oidc.provider.Grant({
      clientId: ctx.oidc.client.clientId,
      accountId: ctx.oidc.session.accountId,
    });
    grant.addOIDCScope("openid email profile");
    await grant.save();
    return grant;
  },
});

provider.listen(port, "127.0.0.1", () => {
  console.log(`oidc-provider listening on ${issuer}`);
});
// Stop at once: open keep-alive connections would hold a graceful close.
for (const signal of ["SIGTERM", "SIGINT"]) {
  process.on(signal, () => process.exit(0));
}
