import { z } from 'zod';

/**
 * `mqtt.*` config section (DESIGN.md "Configuration", MQTT-CORE.md). Owned by src/mqtt.
 * No `url` means: start the embedded broker on 127.0.0.1 and connect to it.
 * (zod 4: use `.prefault({})` for nested objects so inner defaults apply.)
 */
export const mqttConfigSchema = z
  .object({
    url: z.string().optional(),
  })
  .prefault({});
export type MqttConfig = z.infer<typeof mqttConfigSchema>;
