// A real OpenID provider for the tests (panva's certified oidc-provider), on loopback.
// Settings come from the environment: OIDC_PORT, OIDC_CLIENT_ID, OIDC_CLIENT_SECRET,
// OIDC_REDIRECT_URI, OIDC_POST_LOGOUT_URI and OIDC_ACCOUNTS (JSON: login -> claims).
// Its development sign-in pages accept any password for a login listed in OIDC_ACCOUNTS.
import Provider from 'oidc-provider';

const env = process.env;
const accounts = JSON.parse(env.OIDC_ACCOUNTS || '{}');
const issuer = `http://127.0.0.1:${env.OIDC_PORT}`;

const provider = new Provider(issuer, {
  clients: [{
    client_id: env.OIDC_CLIENT_ID,
    client_secret: env.OIDC_CLIENT_SECRET,
    redirect_uris: [env.OIDC_REDIRECT_URI],
    post_logout_redirect_uris: [env.OIDC_POST_LOGOUT_URI],
    response_types: ['code'],
    grant_types: ['authorization_code'],
    token_endpoint_auth_method: 'client_secret_basic',
  }],
  async findAccount(ctx, id) {
    if (!accounts[id]) return undefined;
    return { accountId: id, async claims() { return { sub: id, ...accounts[id] }; } };
  },
  claims: { openid: ['sub'], email: ['email'], profile: ['groups', 'employee_id'] },
  conformIdTokenClaims: false, // the groups travel in the ID token, as Entra ID's groups claim does
  features: { devInteractions: { enabled: true }, rpInitiatedLogout: { enabled: true } },
  pkce: { required: () => true },
  cookies: { keys: ['pepflow-tests-only'] },
  ttl: { AccessToken: 600, AuthorizationCode: 60, IdToken: 600, Interaction: 600, Session: 3600, Grant: 3600 },
  loadExistingGrant: async (ctx) => {  // a first-party client: no consent screen
    const grant = new provider.Grant({ clientId: ctx.oidc.client.clientId, accountId: ctx.oidc.session.accountId });
    grant.addOIDCScope('openid email profile');
    grant.addOIDCClaims(['email', 'groups', 'employee_id']);
    await grant.save();
    return grant;
  },
});
provider.proxy = false;
provider.listen(Number(env.OIDC_PORT), '127.0.0.1', () => console.log(`ready ${issuer}`));
