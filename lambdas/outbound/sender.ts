import { HttpHandlerSender } from '../adapters/http/handler-sender';
import { provideOutbound } from '../wiring';

/** Importing this module hands the wiring the HTTP sender of deliveries (see `Outbound` in wiring.ts). */
provideOutbound({ sender: (cfg) => new HttpHandlerSender(cfg.HANDLER_ALLOW_PRIVATE) });
