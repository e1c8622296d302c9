import { Type } from 'class-transformer';
import { IsIn, IsInt, IsNumber, IsOptional, Max, Min, ValidateNested } from 'class-validator';
import { HOSTILE_PAYLOADS, type HostilePayload } from './hostile-payloads.js';

export class TransportFaultsDto {
  @IsOptional()
  @IsInt()
  @Min(0)
  @Max(600_000)
  latencyMs?: number;

  @IsOptional()
  @IsNumber()
  @Min(0)
  @Max(1)
  errorRate?: number;

  @IsOptional()
  @IsIn(HOSTILE_PAYLOADS)
  hostile?: HostilePayload;
}

export class FaultsUpdateDto {
  @IsOptional()
  @ValidateNested()
  @Type(() => TransportFaultsDto)
  rest?: TransportFaultsDto;

  @IsOptional()
  @ValidateNested()
  @Type(() => TransportFaultsDto)
  soap?: TransportFaultsDto;
}
