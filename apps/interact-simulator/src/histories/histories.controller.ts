import { BadRequestException, Body, Controller, HttpCode, Param, Put } from '@nestjs/common';
import { HistoryRepository } from './history.repository.js';
import type { RecordedPage } from './recorded-histories.js';

const isPage = (page: unknown): page is RecordedPage =>
  typeof page === 'object' && page !== null && !Array.isArray(page);

/** Histories that tests make up, served like the seeded ones. */
@Controller('__simulator/histories')
export class HistoriesController {
  constructor(private readonly histories: HistoryRepository) {}

  @Put(':uniqueId')
  @HttpCode(204)
  seed(@Param('uniqueId') uniqueId: string, @Body() pages: unknown): void {
    if (!Array.isArray(pages) || !pages.every(isPage))
      throw new BadRequestException('a history is a JSON array of page objects');
    this.histories.seed(uniqueId, pages);
  }
}
