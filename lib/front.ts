import { Fn, Stack, Token } from 'aws-cdk-lib';
import type { HttpApi } from 'aws-cdk-lib/aws-apigatewayv2';
import { Certificate } from 'aws-cdk-lib/aws-certificatemanager';
import {
  AllowedMethods,
  CachePolicy,
  Distribution,
  HttpVersion,
  OriginProtocolPolicy,
  OriginRequestPolicy,
  PriceClass,
  SecurityPolicyProtocol,
  ViewerProtocolPolicy,
} from 'aws-cdk-lib/aws-cloudfront';
import { HttpOrigin } from 'aws-cdk-lib/aws-cloudfront-origins';
import { CfnWebACL } from 'aws-cdk-lib/aws-wafv2';
import { Construct } from 'constructs';

/** The optional edge in front of the HTTP API (context `front=true`, lib/context.ts). */
export interface FrontSettings {
  /** A custom domain (e.g. events.example.com); needs `certificateArn`. */
  domainName?: string;
  /** An ACM certificate for `domainName`, in us-east-1 (CloudFront reads certificates only there). */
  certificateArn?: string;
  /**
   * An existing web ACL of scope CLOUDFRONT. When absent the stack creates one, which
   * CloudFormation can do only in us-east-1 (a WAF rule of CloudFront's scope lives there).
   */
  webAclArn?: string;
  /** Requests one client IP may send in 5 minutes before the edge answers 503 (WAF rate-based rule). */
  ratePerIpPer5Minutes?: number;
  /** Bodies declared larger than this (Content-Length, bytes) are refused at the edge with 413. */
  maxBodyBytes: number;
}

/** WAF's default rate limit per IP: 3,000 requests in 5 minutes (10 per second on average). */
export const DEFAULT_EDGE_RATE_PER_5_MINUTES = 3000;

/** Bitrix-style bodies for the edge's own refusals (SPEC §2 error envelope). */
const BODIES = {
  queryLimit: JSON.stringify({ error: 'QUERY_LIMIT_EXCEEDED', error_description: 'Too many requests from this address' }),
  tooLarge: JSON.stringify({ error: 'ERROR_ARGUMENT', error_description: 'Request body is too large' }),
};

/**
 * A regular expression matching the decimal integers greater than `n` (leading zeros
 * allowed), for a WAF rule on the Content-Length header: WAF inspects at most the first
 * 16–64 KB of a body, so it cannot measure a 1 MB body, but it can read what the client declares.
 */
export function greaterThanPattern(n: number): string {
  if (!Number.isInteger(n) || n < 0) throw new Error(`greaterThanPattern: ${n} is not a non-negative integer`);
  const digits = String(n);
  const alternatives = [`[1-9][0-9]{${digits.length},}`]; // more digits
  for (let i = 0; i < digits.length; i++) {
    const d = Number(digits[i]);
    if (d === 9) continue;
    const rest = digits.length - i - 1;
    const head = digits.slice(0, i);
    if (i === 0 && digits.length === 1) alternatives.push(`[${d + 1}-9]`);
    else alternatives.push(`${head}[${d + 1}-9]${rest > 0 ? `[0-9]{${rest}}` : ''}`);
  }
  return `^0*(${alternatives.join('|')})$`;
}

/**
 * CloudFront in front of the API, with a WAF web ACL (a per-IP rate-based rule and a body-size
 * rule, both answering in the Bitrix error envelope) and, optionally, a custom domain with its
 * ACM certificate. Nothing is cached: every request goes to the API with all viewer headers
 * but `Host` (API Gateway routes by its own host name).
 */
export class Front extends Construct {
  readonly distribution: Distribution;
  /** What applications are told (PUBLIC_URL): the custom domain, else CloudFront's. */
  readonly publicUrl: string;

  constructor(scope: Construct, id: string, props: FrontSettings & { api: HttpApi; stage: string }) {
    super(scope, id);
    if ((props.domainName === undefined) !== (props.certificateArn === undefined)) {
      throw new Error('front: domainName and certificateArn go together (the certificate must cover the domain, in us-east-1)');
    }
    const region = Stack.of(this).region;
    if (!props.webAclArn && !Token.isUnresolved(region) && region !== 'us-east-1') {
      throw new Error(`front: a CloudFront web ACL can be created only in us-east-1, and this stack is in ${region}: create one there and pass -c webAclArn=…, or deploy in us-east-1`);
    }
    const webAclArn = props.webAclArn ?? this.webAcl(props).attrArn;
    const origin = new HttpOrigin(Fn.select(2, Fn.split('/', props.api.apiEndpoint)), { protocolPolicy: OriginProtocolPolicy.HTTPS_ONLY });
    this.distribution = new Distribution(this, 'Distribution', {
      comment: `b24-event-hub (${props.stage})`,
      defaultBehavior: {
        origin,
        allowedMethods: AllowedMethods.ALLOW_ALL,
        cachePolicy: CachePolicy.CACHING_DISABLED,
        originRequestPolicy: OriginRequestPolicy.ALL_VIEWER_EXCEPT_HOST_HEADER,
        viewerProtocolPolicy: ViewerProtocolPolicy.HTTPS_ONLY,
      },
      httpVersion: HttpVersion.HTTP2_AND_3,
      priceClass: PriceClass.PRICE_CLASS_100,
      minimumProtocolVersion: SecurityPolicyProtocol.TLS_V1_2_2021,
      webAclId: webAclArn,
      ...(props.domainName && props.certificateArn
        ? { domainNames: [props.domainName], certificate: Certificate.fromCertificateArn(this, 'Certificate', props.certificateArn) }
        : {}),
    });
    this.publicUrl = `https://${props.domainName ?? this.distribution.distributionDomainName}`;
  }

  private webAcl(props: FrontSettings & { stage: string }): CfnWebACL {
    const visibility = (name: string) => ({ cloudWatchMetricsEnabled: true, sampledRequestsEnabled: true, metricName: `${name}-${props.stage}` });
    const block = (code: number, key: keyof typeof BODIES) => ({ block: { customResponse: { responseCode: code, customResponseBodyKey: key } } });
    return new CfnWebACL(this, 'WebAcl', {
      scope: 'CLOUDFRONT',
      defaultAction: { allow: {} },
      visibilityConfig: visibility('b24-event-hub-edge'),
      customResponseBodies: Object.fromEntries(Object.entries(BODIES).map(([key, content]) => [key, { contentType: 'APPLICATION_JSON', content }])),
      rules: [
        {
          name: 'RatePerIp',
          priority: 0,
          statement: { rateBasedStatement: { limit: props.ratePerIpPer5Minutes ?? DEFAULT_EDGE_RATE_PER_5_MINUTES, aggregateKeyType: 'IP', evaluationWindowSec: 300 } },
          action: block(503, 'queryLimit'),
          visibilityConfig: visibility('b24-event-hub-rate'),
        },
        {
          name: 'BodyTooLarge',
          priority: 1,
          statement: {
            regexMatchStatement: {
              fieldToMatch: { singleHeader: { Name: 'content-length' } },
              regexString: greaterThanPattern(props.maxBodyBytes),
              textTransformations: [{ priority: 0, type: 'NONE' }],
            },
          },
          action: block(413, 'tooLarge'),
          visibilityConfig: visibility('b24-event-hub-body'),
        },
      ],
    });
  }
}
